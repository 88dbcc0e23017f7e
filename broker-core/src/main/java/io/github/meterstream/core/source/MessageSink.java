package io.github.meterstream.core.source;

/**
 * Where a {@link BrokerSource} hands each message it receives. Implemented by the pipeline.
 *
 * <p>{@link #accept(InboundMessage)} returns quickly: it decodes the message and enqueues it. It
 * never throws for a bad message (bad messages are settled, usually dead-lettered); an exception
 * from it means a bug: the source keeps the message and hands it over again after a delay (see
 * "When the sink throws" in the package specification, {@link io.github.meterstream.core.source}).
 */
@FunctionalInterface
public interface MessageSink {

    /** Takes ownership of {@code message}; it will be settled exactly once, later, on any thread. */
    void accept(InboundMessage message);
}
