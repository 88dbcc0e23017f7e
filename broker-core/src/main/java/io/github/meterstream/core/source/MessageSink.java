package io.github.meterstream.core.source;

/**
 * Where a {@link BrokerSource} hands each message it receives. Implemented by the pipeline.
 *
 * <p>{@link #accept(InboundMessage)} returns quickly: it decodes the message and enqueues it. It
 * never throws for a bad message (bad messages are settled, usually dead-lettered); an exception
 * from it means a bug, and the source then leaves the message unsettled so that it is delivered
 * again.
 */
@FunctionalInterface
public interface MessageSink {

    /** Takes ownership of {@code message}; it will be settled exactly once, later, on any thread. */
    void accept(InboundMessage message);
}
