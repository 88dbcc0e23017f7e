package io.github.meterstream.rabbitmq.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The delivery tags of one channel object, shared by every subscription on it. The incarnation
 * counts the closes of the channel (the client's recovery reuses the channel object, and a tag
 * means something only until its channel closes). The first tag delivered in an incarnation is
 * where its acknowledgements start: every tag of the incarnation from there on is a delivery to one
 * of our subscriptions, which is what lets {@link Acknowledgements} ack a run of them at once.
 */
final class ChannelTags {

    final AtomicLong incarnation = new AtomicLong();
    // Written on the client's consumer dispatch of this channel only (one thread at a time, in order).
    private long firstTagIncarnation = -1L;
    private long firstTag;
    /** The acks sent for the current incarnation; {@link Acknowledgements}' sender only. */
    Acknowledgements.Run run;

    /** The first tag delivered in {@code inc}; called for each delivery, in delivery order. */
    long firstTagOf(long inc, long tag) {
        if (inc != firstTagIncarnation) {
            firstTagIncarnation = inc;
            firstTag = tag;
        }
        return firstTag;
    }
}
