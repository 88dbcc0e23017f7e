package io.github.meterstream.core.pipeline;

import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pipeline's counters, read by {@link ConsumerPipeline#stats()}. Apart from the lock on
 * purpose: every message touches them from any thread, so they are adders, atomics and a
 * concurrent set that never wait.
 *
 * <p>Each received message is counted once in {@code received} and, until it leaves, in {@code
 * unsettled}; it leaves through exactly one of {@link #settled} (processed, duplicate, dead-lettered
 * or released) or {@link #releaseUnsettled()} (the pipeline closed without settling it). While a
 * message waits out a retry delay or a claim held elsewhere it is also counted in {@code
 * heldForRetry} or {@code waitingOnClaim}. That is what makes {@link PipelineStats}' invariant hold.
 */
final class PipelineCounters {

    /** Where a settled message is counted. */
    enum Outcome {
        PROCESSED,
        DUPLICATE,
        /** A permanent failure the failure policy settled: dead-lettered (or dropped by a custom policy). */
        DEAD_LETTERED,
        /** Handed back to the broker, which delivers it again. */
        RELEASED
    }

    /** Why a job that ran waits before it runs again. */
    enum Hold {
        RETRY,
        CLAIM
    }

    private static final class LastError {
        final String text;
        final Instant at;

        LastError(String text, Instant at) {
            this.text = text;
            this.at = at;
        }
    }

    private final Clock clock;
    final LongAdder received = new LongAdder();
    final LongAdder processed = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder retried = new LongAdder();
    final LongAdder deadLettered = new LongAdder();
    final LongAdder released = new LongAdder();
    /** Received and not settled yet, held ones included; what back-pressure bounds. */
    final AtomicInteger unsettled = new AtomicInteger();
    private final AtomicInteger heldForRetry = new AtomicInteger();
    private final AtomicInteger waitingOnClaim = new AtomicInteger();
    /** The jobs counted in {@code unsettled}: their receive times give the oldest. */
    private final Set<Job<?>> unsettledJobs = ConcurrentHashMap.newKeySet();
    private volatile LastError lastError;

    PipelineCounters(Clock clock) {
        this.clock = clock;
    }

    /** A message arrived that the pipeline will settle. */
    void admitted(Job<?> job) {
        job.receivedAt = clock.instant();
        unsettledJobs.add(job);
        unsettled.incrementAndGet();
    }

    /** A message arrived after close: not admitted, the source returns it to the broker. */
    void refusedAfterClose() {
        released.increment();
    }

    /**
     * The source confirmed (or failed) the settlement of {@code job}. Returns false when the job had
     * left already (released by a close), so that nothing is counted twice.
     */
    boolean settled(Job<?> job, Outcome outcome) {
        if (!unsettledJobs.remove(job)) {
            return false;
        }
        resumed(job);
        switch (outcome) {
            case PROCESSED:
                processed.increment();
                break;
            case DUPLICATE:
                duplicates.increment();
                break;
            case DEAD_LETTERED:
                deadLettered.increment();
                break;
            case RELEASED:
            default:
                released.increment();
                break;
        }
        unsettled.decrementAndGet();
        return true;
    }

    /** The job ran and now waits {@code why} before it runs again. */
    void holding(Job<?> job, Hold why) {
        resumed(job);
        job.hold = why;
        (why == Hold.CLAIM ? waitingOnClaim : heldForRetry).incrementAndGet();
    }

    /** A held job runs again (or leaves): it no longer counts as held. */
    void resumed(Job<?> job) {
        Hold was = job.hold;
        if (was != null) {
            job.hold = null;
            (was == Hold.CLAIM ? waitingOnClaim : heldForRetry).decrementAndGet();
        }
    }

    /** The pipeline closed: whatever it did not settle goes back to the broker with the source's close. */
    void releaseUnsettled() {
        for (Iterator<Job<?>> it = unsettledJobs.iterator(); it.hasNext(); ) {
            Job<?> job = it.next();
            if (unsettledJobs.remove(job)) {
                resumed(job);
                released.increment();
                unsettled.decrementAndGet();
            }
        }
    }

    void failed(String text) {
        lastError = new LastError(text, clock.instant());
    }

    /** A message completed or the circuit closed: the last error is history. */
    void recovered() {
        if (lastError != null) {
            lastError = null;
        }
    }

    PipelineStats snapshot(String source, ConsumerPipeline.State state) {
        // held counts first: a job moving on between the reads makes inFlight one low, never a count twice
        int held = heldForRetry.get();
        int claims = waitingOnClaim.get();
        int all = unsettled.get();
        Instant oldest = null;
        for (Job<?> job : unsettledJobs) {
            Instant at = job.receivedAt;
            if (at != null && (oldest == null || at.isBefore(oldest))) {
                oldest = at;
            }
        }
        LastError error = lastError;
        return new PipelineStats.Builder(source, state)
                .received(received.sum())
                .processed(processed.sum())
                .duplicates(duplicates.sum())
                .retried(retried.sum())
                .deadLettered(deadLettered.sum())
                .released(released.sum())
                .inFlight(Math.max(0, all - held - claims))
                .heldForRetry(held)
                .waitingOnClaim(claims)
                .lastError(error == null ? null : error.text, error == null ? null : error.at)
                .oldestUnsettledSince(oldest)
                .build();
    }
}
