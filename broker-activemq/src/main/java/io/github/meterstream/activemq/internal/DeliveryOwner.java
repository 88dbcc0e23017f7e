package io.github.meterstream.activemq.internal;

import io.github.meterstream.core.source.InboundMessage;

/**
 * What a {@link ConsumerWorker} needs from its source (an {@code AbstractBrokerSource}): hand a
 * message to the sink, say which deliveries the broker took back, have a failed settlement
 * delivered again, and whether to deliver at all.
 */
public interface DeliveryOwner {

    void handOver(Delivery delivery, InboundMessage.Builder message);

    /** The session of {@code delivery} closed: the broker delivers it again. */
    void returnedToBroker(Delivery delivery);

    /** A settlement failed while the session lives: the source hands the message over again later. */
    void redeliverLater(Delivery delivery, InboundMessage message);

    /** False while paused or closing. */
    boolean mayDeliver();
}
