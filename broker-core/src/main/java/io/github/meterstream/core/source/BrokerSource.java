package io.github.meterstream.core.source;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import java.time.Duration;

/**
 * A connection to one broker destination (or a set of them) that delivers raw messages to a
 * {@link MessageSink} and takes back exactly one {@link Settlement} per message.
 *
 * <p>This interface is the whole contract between Meterstream's pipeline and a broker adapter. An
 * adapter implements it, a {@link BrokerSourceFactory} creates it from configuration, and
 * {@code BrokerSourceCompatibilityKit} (module {@code broker-testkit}) proves that it keeps the
 * promises below.
 *
 * <p>The contract (life cycle, threading, ordering, the delivery guarantee, what each settlement
 * means, flow control) is the specification of this package: see {@code package-info.java}
 * ({@link io.github.meterstream.core.source}).
 */
public interface BrokerSource extends AutoCloseable {

    /** The name given to this source in configuration; it appears in logs, metrics and envelopes. */
    String name();

    /** Connects and starts delivering messages to {@code sink}. Called at most once. */
    void start(MessageSink sink);

    /** Stops starting new deliveries until {@link #resume()}; idempotent. */
    void pause();

    /** Restarts delivery after {@link #pause()}; idempotent. */
    void resume();

    /** What the source knows about its connection, for health checks and status pages. */
    SourceHealth health();

    /**
     * Stops delivery, waits up to {@code timeout} for messages already delivered to be settled, then
     * returns the rest to the broker (they are delivered again, to this or another consumer) and
     * releases every thread and connection. Settling a message after close has no effect on the
     * broker and completes its stage exceptionally. Idempotent.
     */
    void close(Duration timeout);

    /** Same as {@code close(Duration.ofSeconds(30))}. */
    @Override
    default void close() {
        close(Duration.ofSeconds(30));
    }
}
