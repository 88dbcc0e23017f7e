package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The queues and exchange around one work queue, declared or checked at start:
 * <ul>
 *   <li>the work queue {@code <queue>}, whose broker-side dead-lettering (a quorum queue's
 *       delivery limit, a reject) goes to the dead-letter exchange;</li>
 *   <li>the dead-letter exchange (direct) and queue, bound with the work queue's name;</li>
 *   <li>one retry queue per delay bucket, {@code <queue>.retry.<millis>}, whose message TTL is
 *       the bucket and whose expired messages dead-letter back to the work queue through the
 *       default exchange. This needs no broker plugin and works on RabbitMQ 3.10 and 4.x. On
 *       quorum queues that move is at least once; on classic queues at most once.</li>
 * </ul>
 * Quorum work queues get an explicit {@link #QUORUM_DELIVERY_LIMIT}.
 */
public final class Topology {

    /**
     * {@code x-delivery-limit} of a quorum work queue. The broker dead-letters a message returned
     * more often (RabbitMQ 4.x does so after 20 by default), without Meterstream's envelope; every
     * connection loss returns the prefetched messages, so a long outage with a flapping connection
     * could get there. Attempts are the pipeline's to count and dead-letter, so the limit is set
     * explicitly, far above any of them. Not -1: RabbitMQ 4 reads it as "no limit", but 3.10 accepts
     * it and dead-letters at the first return (checked on 3.10.8).
     */
    public static final int QUORUM_DELIVERY_LIMIT = 1_000_000;

    private static final String QUORUM = "quorum";

    private Topology() {
    }

    /** A passive declare found no such queue (404): the operator creates it, or lets the source declare it. */
    public static final class MissingQueueException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final String queue;

        MissingQueueException(String queue, String message, Throwable cause) {
            super(message, cause);
            this.queue = queue;
        }

        /** The queue that does not exist. */
        public String queue() {
            return queue;
        }
    }

    /** Arguments of the work queue as this source declares it. */
    public static Map<String, Object> workQueueArguments(RabbitMqSourceConfig config) {
        Map<String, Object> args = new HashMap<>();
        args.put("x-queue-type", config.queueType());
        args.put("x-dead-letter-exchange", config.deadLetterExchange());
        args.put("x-dead-letter-routing-key", config.queue());
        if (config.singleActiveConsumer()) {
            args.put("x-single-active-consumer", true);
        }
        if (QUORUM.equals(config.queueType())) {
            args.put("x-delivery-limit", QUORUM_DELIVERY_LIMIT);
        }
        return args;
    }

    /**
     * Declares every queue and the exchange (idempotent when they exist with the same arguments).
     *
     * @throws IllegalStateException when one exists with other arguments, naming it and the fix
     */
    public static void declare(Connection connection, RabbitMqSourceConfig config) throws IOException, TimeoutException {
        String what = "queue '" + config.queue() + "'";
        try (Channel ch = connection.createChannel()) {
            ch.queueDeclare(config.queue(), true, false, false, workQueueArguments(config));
            what = "exchange '" + config.deadLetterExchange() + "'";
            ch.exchangeDeclare(config.deadLetterExchange(), "direct", true);
            what = "queue '" + config.deadLetterQueue() + "'";
            ch.queueDeclare(config.deadLetterQueue(), true, false, false, Map.of("x-queue-type", config.queueType()));
            ch.queueBind(config.deadLetterQueue(), config.deadLetterExchange(), config.queue());
            for (Duration bucket : config.retryDelays()) {
                what = "queue '" + config.retryQueue(bucket) + "'";
                ch.queueDeclare(config.retryQueue(bucket), true, false, false, retryQueueArguments(config, bucket));
            }
        } catch (IOException e) {
            ShutdownSignalException cause = shutdownCause(e);
            if (cause == null) {
                throw e;
            }
            throw new IllegalStateException("RabbitMQ refused to declare " + what + " in virtual host of "
                    + config.address() + ": " + cause.getReason() + ". It probably exists with other arguments: delete it, "
                    + "or create the topology yourself and set " + config.fullKey(RabbitMqSourceConfig.DECLARE_TOPOLOGY)
                    + "=false", e);
        }
    }

    static Map<String, Object> retryQueueArguments(RabbitMqSourceConfig config, Duration bucket) {
        Map<String, Object> args = new HashMap<>();
        args.put("x-queue-type", config.queueType());
        args.put("x-message-ttl", bucket.toMillis());
        args.put("x-dead-letter-exchange", "");
        args.put("x-dead-letter-routing-key", config.queue());
        if (QUORUM.equals(config.queueType())) {
            // The expired copy's move back to the work queue is the broker's dead-lettering, by
            // default at most once: dropped when the work queue is missing or refuses it. Quorum
            // queues (RabbitMQ 3.10+) can keep it until the work queue confirms it; that needs
            // overflow reject-publish (a full retry queue refuses the copy, whose publish then fails
            // and the original is delivered again). Classic queues cannot: see the README.
            args.put("x-dead-letter-strategy", "at-least-once");
            args.put("x-overflow", "reject-publish");
        }
        return args;
    }

    /**
     * Checks with passive declares that everything exists; each check has its own channel because a
     * failed passive declare closes the channel.
     *
     * @throws IllegalStateException naming the first missing queue or exchange and the key to set
     */
    public static void check(Connection connection, RabbitMqSourceConfig config) throws IOException, TimeoutException {
        String declareKey = config.fullKey(RabbitMqSourceConfig.DECLARE_TOPOLOGY);
        checkQueue(connection, config, config.queue(), "create it (or set " + config.fullKey(RabbitMqSourceConfig.QUEUE)
                + " to the one you have), or set " + declareKey + "=true");
        checkQueue(connection, config, config.deadLetterQueue(), "create it (or set "
                + config.fullKey(RabbitMqSourceConfig.DEAD_LETTER_QUEUE) + " to the one you have), or set " + declareKey + "=true");
        try (Channel ch = connection.createChannel()) {
            ch.exchangeDeclarePassive(config.deadLetterExchange());
        } catch (IOException e) {
            if (shutdownCause(e) == null) {
                throw e;
            }
            throw new IllegalStateException("exchange '" + config.deadLetterExchange() + "' does not exist on "
                    + config.address() + ": create it (or set " + config.fullKey(RabbitMqSourceConfig.DEAD_LETTER_EXCHANGE)
                    + " to the one you have), or set " + declareKey + "=true", e);
        }
        for (Duration bucket : config.retryDelays()) {
            checkQueue(connection, config, config.retryQueue(bucket), "create it with x-message-ttl=" + bucket.toMillis()
                    + ", x-dead-letter-exchange=\"\" and x-dead-letter-routing-key=" + config.queue()
                    + (QUORUM.equals(config.queueType()) ? ", x-dead-letter-strategy=at-least-once and x-overflow=reject-publish" : "")
                    + " (or change " + config.fullKey(RabbitMqSourceConfig.RETRY_DELAYS) + "), or set " + declareKey + "=true");
        }
    }

    private static void checkQueue(Connection connection, RabbitMqSourceConfig config, String queue, String fix)
            throws IOException, TimeoutException {
        try (Channel ch = connection.createChannel()) {
            ch.queueDeclarePassive(queue);
        } catch (IOException e) {
            if (shutdownCause(e) == null) {
                throw e;
            }
            throw new MissingQueueException(queue, "queue '" + queue + "' does not exist on " + config.address() + ": " + fix, e);
        }
    }

    /**
     * The number of messages ready in {@code queue}, by a passive declare on a channel of its own;
     * {@link MissingQueueException} when it does not exist.
     */
    public static long readyMessages(Connection connection, RabbitMqSourceConfig config, String queue)
            throws IOException, TimeoutException {
        try (Channel ch = connection.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        } catch (IOException e) {
            if (shutdownCause(e) == null) {
                throw e;
            }
            throw new MissingQueueException(queue, "queue '" + queue + "' does not exist on " + config.address(), e);
        }
    }

    private static ShutdownSignalException shutdownCause(IOException e) {
        return e.getCause() instanceof ShutdownSignalException ? (ShutdownSignalException) e.getCause() : null;
    }
}
