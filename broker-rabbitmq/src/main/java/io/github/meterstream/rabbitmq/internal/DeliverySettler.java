package io.github.meterstream.rabbitmq.internal;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Does what a retry or dead-letter settlement asks, in an order that never loses a message:
 * <ul>
 *   <li>retry: publish a copy to the retry queue of the delay's bucket, wait for the publisher
 *       confirm, then ack the original;</li>
 *   <li>dead-letter: publish a copy with the envelope headers to the dead-letter exchange, wait
 *       for the confirm, then ack the original.</li>
 * </ul>
 * When a copy is not confirmed the original is nacked with requeue (delivered again) and the
 * stage fails. When the ack after a confirmed copy fails (connection lost) the broker delivers the
 * original again too: a duplicate, which the pipeline's idempotency store removes.
 */
public final class DeliverySettler {

    private static final Logger LOG = LoggerFactory.getLogger(DeliverySettler.class);

    private final RabbitMqSourceConfig config;
    private final ConfirmedPublisher publisher;

    public DeliverySettler(RabbitMqSourceConfig config, ConfirmedPublisher publisher) {
        this.config = config;
        this.publisher = publisher;
    }

    /** The bucket a requested delay is rounded up to; delays beyond the largest bucket get the largest. */
    public static Duration bucketFor(Duration requested, List<Duration> buckets) {
        for (Duration b : buckets) {
            if (b.compareTo(requested) >= 0) {
                return b;
            }
        }
        return buckets.get(buckets.size() - 1);
    }

    /** Publishes a copy to the retry queue of the delay's bucket, waits for the confirm, then acks the original. */
    public CompletableFuture<Void> retry(Delivery d, InboundMessage message, Duration delay) {
        if (!d.channel().isCurrent(d)) {
            return channelGone(d, "retry");
        }
        Duration bucket = bucketFor(delay, config.retryDelays());
        String retryQueue = config.retryQueue(bucket);
        CompletableFuture<Void> copied = publisher.publish("", retryQueue,
                MessageHeaders.retryCopy(d.properties(), message.deliveryAttempt()), d.body());
        return copyThenAck(d, copied, "retry copy to queue '" + retryQueue + "'").thenRun(() ->
                LOG.info("Retry copy confirmed in queue '{}' (delay {} requested, {} applied), original acked: {}, attempt {}",
                        retryQueue, delay, bucket, message.coordinates(), message.deliveryAttempt()));
    }

    /** Publishes a copy with the envelope to the dead-letter exchange, waits for the confirm, then acks the original. */
    public CompletableFuture<Void> deadLetter(Delivery d, InboundMessage message, DeadLetterEnvelope envelope) {
        if (!d.channel().isCurrent(d)) {
            return channelGone(d, "dead-letter");
        }
        CompletableFuture<Void> copied = publisher.publish(config.deadLetterExchange(), config.queue(),
                MessageHeaders.deadLetterCopy(d.properties(), envelope.toHeaders(config.maxHeaderBytes())), d.body());
        return copyThenAck(d, copied, "dead-letter copy to exchange '" + config.deadLetterExchange() + "'").thenRun(() ->
                LOG.info("Dead-letter copy confirmed via exchange '{}', original acked: {} ({}, tenant {}, trackingId {})",
                        config.deadLetterExchange(), message.coordinates(), envelope.reasonCode(), envelope.tenant(),
                        envelope.trackingId()));
    }

    /**
     * Its channel closed since: the broker delivers the original again, so a copy now would only be a
     * duplicate in the retry or dead-letter queue.
     */
    private CompletableFuture<Void> channelGone(Delivery d, String kind) {
        return CompletableFuture.failedFuture(new IllegalStateException("the channel that delivered tag " + d.deliveryTag()
                + " on queue '" + config.queue() + "' is closed; no " + kind + " copy published, the broker delivers "
                + "the message again"));
    }

    private static CompletableFuture<Void> copyThenAck(Delivery d, CompletableFuture<Void> copied, String what) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        copied.whenComplete((ok, copyError) -> {
            if (copyError == null) {
                d.channel().ack(d, ackError -> {
                    if (ackError == null) {
                        result.complete(null);
                    } else {
                        result.completeExceptionally(new IllegalStateException(what + " was confirmed but the original (tag "
                                + d.deliveryTag() + ") could not be acked; the broker delivers it again: " + ackError.getMessage(), ackError));
                    }
                });
            } else {
                Throwable cause = copyError instanceof CompletionException && copyError.getCause() != null
                        ? copyError.getCause() : copyError;
                LOG.warn("{} failed for delivery tag {}; returning the original to the queue: {}", what, d.deliveryTag(),
                        cause.getMessage());
                d.channel().requeue(d, requeueError ->
                        result.completeExceptionally(new IllegalStateException(what + " was not confirmed; the original (tag "
                                + d.deliveryTag() + ") is delivered again: " + cause.getMessage(), cause)));
            }
        });
        return result;
    }
}
