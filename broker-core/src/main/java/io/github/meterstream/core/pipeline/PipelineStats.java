package io.github.meterstream.core.pipeline;

import java.time.Instant;

/**
 * A snapshot of a pipeline's counters and state, for status pages, metrics and tests.
 *
 * <h2>The counts add up</h2>
 * Every message the source delivers is counted once in {@link #received()} and is, at any time,
 * in exactly one of these places:
 * <pre>
 *   received == processed + duplicates + deadLettered + released
 *             + inFlight + heldForRetry + waitingOnClaim
 * </pre>
 * The first four are where a message ends, once its settlement is done; the last three are the
 * messages this pipeline holds unsettled. A message the broker delivers again (a hand-back for a
 * retry, a delivery left unsettled at close) is counted in {@code released} for the delivery that
 * went back and in {@code received} again when it comes back, so the equation holds across
 * redeliveries and restarts of the count (each pipeline counts from zero).
 *
 * <p>The snapshot is read without stopping the pipeline: while messages move, it can be off by
 * the few moving at that instant; it is exact whenever the pipeline is idle, and always exact for
 * each message's end (no message is counted in two end counters).
 */
public final class PipelineStats {

    private final String source;
    private final ConsumerPipeline.State state;
    private final long received;
    private final long processed;
    private final long duplicates;
    private final long retried;
    private final long deadLettered;
    private final long released;
    private final int inFlight;
    private final int heldForRetry;
    private final int waitingOnClaim;
    private final String lastError;
    private final Instant lastErrorAt;
    private final Instant oldestUnsettledSince;

    private PipelineStats(Builder b) {
        this.source = b.source;
        this.state = b.state;
        this.received = b.received;
        this.processed = b.processed;
        this.duplicates = b.duplicates;
        this.retried = b.retried;
        this.deadLettered = b.deadLettered;
        this.released = b.released;
        this.inFlight = b.inFlight;
        this.heldForRetry = b.heldForRetry;
        this.waitingOnClaim = b.waitingOnClaim;
        this.lastError = b.lastError;
        this.lastErrorAt = b.lastErrorAt;
        this.oldestUnsettledSince = b.oldestUnsettledSince;
    }

    public String source() {
        return source;
    }

    public ConsumerPipeline.State state() {
        return state;
    }

    /** Deliveries the source handed to this pipeline; a redelivered message counts each time. */
    public long received() {
        return received;
    }

    /**
     * Messages the handler completed, once their acknowledgement was done. One whose
     * acknowledgement failed counts here too: its work is done, and the broker's next delivery of
     * it ends as a duplicate.
     */
    public long processed() {
        return processed;
    }

    /** Messages acknowledged without new work: already completed in the idempotency store, or the downstream already had them. */
    public long duplicates() {
        return duplicates;
    }

    /** Transient failures that were scheduled for another try (runs, not messages: one message can count several times). */
    public long retried() {
        return retried;
    }

    /** Permanent failures the failure policy settled: dead-lettered (or dropped by a custom policy that acknowledges them). */
    public long deadLettered() {
        return deadLettered;
    }

    /**
     * Deliveries handed back to the broker unsettled, which it delivers again (and this pipeline
     * counts again in {@link #received()}): a retry handed back with a delay, a delivery whose
     * dead-lettering or retry failed, messages left unsettled when the pipeline closed or that
     * arrived after it started closing.
     */
    public long released() {
        return released;
    }

    /**
     * Messages received and not settled, queued for a worker, in a handler or being settled; not
     * those counted in {@link #heldForRetry()} or {@link #waitingOnClaim()}.
     */
    public int inFlight() {
        return inFlight;
    }

    /**
     * Messages received and not settled that wait out a retry delay, or wait for the circuit to
     * close after a transient failure: work not done yet, neither queued nor running.
     */
    public int heldForRetry() {
        return heldForRetry;
    }

    /** Messages received and not settled that wait because another consumer holds their idempotency claim. */
    public int waitingOnClaim() {
        return waitingOnClaim;
    }

    /**
     * The last failure seen, in words, or {@code null}: cleared when a later message completes
     * (processed or duplicate) or the circuit closes.
     */
    public String lastError() {
        return lastError;
    }

    /** When {@link #lastError()} happened, or {@code null} with it. */
    public Instant lastErrorAt() {
        return lastErrorAt;
    }

    /**
     * When the oldest message this pipeline holds unsettled (in flight, held for retry or waiting
     * on a claim) was received, or {@code null} when it holds none: how long work has been waiting.
     */
    public Instant oldestUnsettledSince() {
        return oldestUnsettledSince;
    }

    /** {@code processed + duplicates + deadLettered + released + inFlight + heldForRetry + waitingOnClaim}: equals {@link #received()} (see the class comment). */
    public long accountedFor() {
        return processed + duplicates + deadLettered + released + inFlight + heldForRetry + waitingOnClaim;
    }

    @Override
    public String toString() {
        return source + ' ' + state + ": received=" + received + " processed=" + processed + " duplicates=" + duplicates
                + " deadLettered=" + deadLettered + " released=" + released + " inFlight=" + inFlight
                + " heldForRetry=" + heldForRetry + " waitingOnClaim=" + waitingOnClaim + " retried=" + retried
                + (oldestUnsettledSince == null ? "" : " oldestUnsettledSince=" + oldestUnsettledSince)
                + (lastError == null ? "" : " lastError=" + lastError + " at " + lastErrorAt);
    }

    /** Built by the pipeline's counters only. */
    static final class Builder {
        private final String source;
        private final ConsumerPipeline.State state;
        private long received;
        private long processed;
        private long duplicates;
        private long retried;
        private long deadLettered;
        private long released;
        private int inFlight;
        private int heldForRetry;
        private int waitingOnClaim;
        private String lastError;
        private Instant lastErrorAt;
        private Instant oldestUnsettledSince;

        Builder(String source, ConsumerPipeline.State state) {
            this.source = source;
            this.state = state;
        }

        Builder received(long v) {
            received = v;
            return this;
        }

        Builder processed(long v) {
            processed = v;
            return this;
        }

        Builder duplicates(long v) {
            duplicates = v;
            return this;
        }

        Builder retried(long v) {
            retried = v;
            return this;
        }

        Builder deadLettered(long v) {
            deadLettered = v;
            return this;
        }

        Builder released(long v) {
            released = v;
            return this;
        }

        Builder inFlight(int v) {
            inFlight = v;
            return this;
        }

        Builder heldForRetry(int v) {
            heldForRetry = v;
            return this;
        }

        Builder waitingOnClaim(int v) {
            waitingOnClaim = v;
            return this;
        }

        Builder lastError(String text, Instant at) {
            lastError = text;
            lastErrorAt = at;
            return this;
        }

        Builder oldestUnsettledSince(Instant v) {
            oldestUnsettledSince = v;
            return this;
        }

        PipelineStats build() {
            return new PipelineStats(this);
        }
    }
}
