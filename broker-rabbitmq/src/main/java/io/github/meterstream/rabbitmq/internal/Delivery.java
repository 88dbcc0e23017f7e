package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;

/**
 * One basic.deliver as received, with the incarnation of its channel: a delivery tag means
 * something only to the channel incarnation that issued it, so a delivery whose channel has since
 * closed (connection lost, even if recovered) can no longer be acknowledged; the broker delivers
 * it again.
 */
public final class Delivery {

    final ConsumerChannel channel;
    final ConsumerChannel.Subscription subscription;
    final long incarnation;
    /** The first tag delivered in this incarnation of the channel: acks of it can start a run there. */
    final long firstTag;
    final Envelope envelope;
    final AMQP.BasicProperties properties;
    final byte[] body;

    Delivery(ConsumerChannel channel, ConsumerChannel.Subscription subscription, long incarnation, long firstTag,
             Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        this.channel = channel;
        this.subscription = subscription;
        this.incarnation = incarnation;
        this.firstTag = firstTag;
        this.envelope = envelope;
        this.properties = properties;
        this.body = body;
    }

    public ConsumerChannel channel() {
        return channel;
    }

    public long deliveryTag() {
        return envelope.getDeliveryTag();
    }

    public boolean redelivered() {
        return envelope.isRedeliver();
    }

    public AMQP.BasicProperties properties() {
        return properties;
    }

    public byte[] body() {
        return body;
    }
}
