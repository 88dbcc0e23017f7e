package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.deadletter.DeadLetterStore;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.internal.NamedThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes a copy of each confirmed dead letter to a {@link DeadLetterStore}, on a thread of its own:
 * the confirmation arrives on a source's thread (Kafka's poll thread, for one), which must never wait
 * for a database. Bounded: when the store is slow or down, copies beyond {@value #QUEUE} waiting are
 * dropped and counted; the broker's dead-letter destination still holds every message.
 */
final class DeadLetterCopies {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterCopies.class);
    static final int QUEUE = 1000;

    private final DeadLetterStore store;
    private final String source;
    private final ThreadPoolExecutor writer;
    private final LongAdder stored = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder dropped = new LongAdder();

    DeadLetterCopies(DeadLetterStore store, String source) {
        this.store = store;
        this.source = source;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE),
                new NamedThreadFactory("meterstream-" + source + "-dead-letter-store"));
    }

    void offer(DeadLetterEnvelope envelope, byte[] payload, String subject) {
        try {
            writer.execute(() -> write(envelope, payload, subject));
        } catch (RejectedExecutionException e) {
            dropped.increment();
            LOG.warn("Dead-letter store of source {} is {}; copy of {} dropped (it is in the broker's dead-letter destination)",
                    source, writer.isShutdown() ? "closed" : "behind by " + QUEUE, envelope.coordinates());
        }
    }

    private void write(DeadLetterEnvelope envelope, byte[] payload, String subject) {
        try {
            store.record(envelope, payload, subject);
            stored.increment();
        } catch (RuntimeException e) {
            failed.increment();
            LOG.warn("Could not copy dead letter {} to the dead-letter store of source {} (it is in the broker's dead-letter"
                    + " destination): {}", envelope.coordinates(), source, e.toString());
        }
    }

    long stored() {
        return stored.sum();
    }

    /** Copies the store refused or could not take, plus those dropped because it was behind. */
    long lost() {
        return failed.sum() + dropped.sum();
    }

    /** Writes what is queued within {@code timeout}, then stops; what is left is dropped and counted. */
    void close(Duration timeout) {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                dropped.add(writer.shutdownNow().size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dropped.add(writer.shutdownNow().size());
        }
    }
}
