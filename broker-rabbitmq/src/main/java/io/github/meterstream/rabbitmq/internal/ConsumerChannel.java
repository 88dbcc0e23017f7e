package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.meterstream.core.source.DeliveryGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One consumer on its own channel, with manual acknowledgements and a prefetch limit.
 *
 * <ul>
 *   <li>The client's dispatch thread hands each delivery to the receiver itself, in broker order,
 *       while the {@link DeliveryGate} is open; while it is not, deliveries wait in a local buffer
 *       (at most {@code prefetch} long, since the broker sends no more unacknowledged ones) and a
 *       thread of ours hands them over once it opens. Pausing therefore keeps the consumer and the
 *       connection alive: the broker stops at the prefetch limit, nothing is cancelled or
 *       requeued.</li>
 *   <li>Acks and requeues are written by {@link Acknowledgements}, one thread at a time, acks in
 *       runs ({@code multiple=true}) where that is safe; cancel and re-subscribe run on one
 *       operations thread per channel.</li>
 *   <li>The client recovers a lost connection with its channels and consumers. What it does not
 *       recover is done here: a channel the broker closed alone (a channel error, {@code
 *       consumer_timeout}) is replaced, and a consumer the broker cancelled (queue deleted, its
 *       node down, a quorum leader moved) subscribes again, after the {@link TopologyCheck} (the
 *       start-up declare or check) passed; both are retried every retry interval until they
 *       succeed, and the {@link SubscriptionListener} hears whether the consumer is consuming.</li>
 * </ul>
 * (About 420 lines on purpose: replacing a closed channel and re-subscribing a cancelled consumer
 * race with deliveries and settlements on the same channel, and that interplay is easier to check
 * in one class than across several.)
 */
public final class ConsumerChannel {

    /** Gets each delivery, in broker order, one at a time (on the client's dispatch thread, or ours after a pause). */
    @FunctionalInterface
    public interface Receiver {
        void receive(Delivery delivery);
    }

    /** Declares or checks the queue before subscribing again, as the source does at start. */
    @FunctionalInterface
    public interface TopologyCheck {
        void ensure() throws IOException, TimeoutException;
    }

    /** Hears when a consumer stops consuming without a connection loss, and when it consumes again. */
    public interface SubscriptionListener {
        /** {@code why} names the queue; called again with a newer reason on each failed attempt. */
        void notConsuming(String consumer, String why);

        void consuming(String consumer);
    }

    private static final SubscriptionListener NO_LISTENER = new SubscriptionListener() {
        @Override
        public void notConsuming(String consumer, String why) {
        }

        @Override
        public void consuming(String consumer) {
        }
    };

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerChannel.class);

    private final String name;
    private final Connection connection;
    private final String queue;
    private final DeliveryGate gate;
    private final Receiver receiver;
    private final ScheduledExecutorService operations;
    private final Duration retryInterval;
    private final TopologyCheck topology;
    private final SubscriptionListener listener;
    private final ConcurrentLinkedDeque<Delivery> buffer = new ConcurrentLinkedDeque<>();
    /** Held by the one thread that takes deliveries out of the buffer. */
    private final AtomicBoolean delivering = new AtomicBoolean();
    private final Thread deliveryThread;
    private final Acknowledgements acks;
    private final Channel firstChannel;
    /** The subscription deliveries come from; replaced when the broker closes its channel. */
    private volatile Subscription current;
    private volatile int prefetch;
    /** Touched only on the operations thread. */
    private String lastResubscribeFailure;

    /** A consumer that re-subscribes without checking the topology, every second, telling nobody. */
    public ConsumerChannel(Connection connection, String name, String queue, DeliveryGate gate, Receiver receiver) throws IOException {
        this(connection, name, queue, gate, receiver, Duration.ofSeconds(1), () -> { }, NO_LISTENER);
    }

    public ConsumerChannel(Connection connection, String name, String queue, DeliveryGate gate, Receiver receiver,
                           Duration retryInterval, TopologyCheck topology, SubscriptionListener listener) throws IOException {
        this.name = name;
        this.connection = connection;
        this.firstChannel = connection.createChannel();
        this.queue = queue;
        this.gate = gate;
        this.receiver = receiver;
        this.retryInterval = retryInterval;
        this.topology = topology;
        this.listener = listener;
        this.operations = Executors.newSingleThreadScheduledExecutor(daemon(name + "-channel"));
        this.deliveryThread = daemon(name + "-delivery").newThread(this::deliverLoop);
        this.acks = new Acknowledgements(operations, this::whyGone);
    }

    private static java.util.concurrent.ThreadFactory daemon(String threadName) {
        return r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        };
    }

    /** Sets the prefetch and registers the consumer; deliveries start at once. */
    public void start(int prefetch) throws IOException {
        this.prefetch = prefetch;
        deliveryThread.start();
        consume(firstChannel, new ChannelTags());
    }

    /**
     * One basic.consume on one channel. A delivery keeps its subscription: its tag means something
     * only to that channel, and only until the channel closes. Its {@link ChannelTags} (the
     * incarnation: the closes of the channel) are shared by every subscription on the channel,
     * since a consumer cancelled by the broker hears nothing of the channel's later closes while
     * its deliveries may still be unsettled.
     */
    final class Subscription extends DefaultConsumer {
        final Channel channel;
        final ChannelTags tags;
        volatile String tag;
        volatile boolean cancelledByBroker;
        private boolean retired;

        Subscription(Channel channel, ChannelTags tags) {
            super(channel);
            this.channel = channel;
            this.tags = tags;
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            long incarnation = tags.incarnation.get();
            buffer.add(new Delivery(ConsumerChannel.this, this, incarnation,
                    tags.firstTagOf(incarnation, envelope.getDeliveryTag()), envelope, properties, body));
            deliverBuffered();
        }

        @Override
        public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
            // Dispatched after every delivery of the closing channel: those keep the old
            // incarnation, deliveries after a recovery get the new one.
            tags.incarnation.incrementAndGet();
            buffer.removeIf(d -> d.subscription.channel == channel);
            if (sig.isInitiatedByApplication() || this != current) {
                return; // closed by us, or a channel already replaced
            }
            LOG.warn("Consumer {} on queue '{}' lost its channel ({}); unacknowledged messages go back to the queue",
                    name, queue, sig.getMessage());
            if (!sig.isHardError() && !gate.isStopped()) {
                // Closed by the broker alone (e.g. consumer_timeout, a channel error): the client
                // only recovers whole connections. It would still recover this channel, with this
                // consumer, at the next connection recovery, next to the one that replaces it: a
                // second consumer whose deliveries nobody settles right. Aborting it removes it from
                // the client's recovery table; it must happen before a new channel may reuse its
                // number, since the client unregisters channels by number.
                retire();
                resubscribeLater(0);
            }
        }

        @Override
        public void handleCancel(String consumerTag) {
            if (this != current || gate.isStopped()) {
                return;
            }
            // The channel and the connection stay open, so the client's recovery does nothing.
            cancelledByBroker = true;
            String why = "consumer cancelled by the broker on queue '" + queue + "' (queue deleted, or its node down or its "
                    + "leader moved); subscribing again every " + retryInterval.toMillis() + " ms";
            LOG.warn("Consumer {}: {}", name, why);
            listener.notConsuming(name, why);
            resubscribeLater(0);
        }

        /**
         * Aborts the closed channel once: that takes it out of the client's recovery table. The
         * client unregisters channels by number, so this must happen before a new channel may reuse
         * the number, and only once (a second abort could unregister the number's next holder).
         */
        synchronized void retire() {
            if (!retired) {
                retired = true;
                abortQuietly(channel);
            }
        }
    }

    private static void abortQuietly(Channel ch) {
        try {
            ch.abort();
        } catch (IOException | RuntimeException e) {
            LOG.debug("Aborting a closed channel failed: {}", e.toString());
        }
    }

    private void consume(Channel ch, ChannelTags tags) throws IOException {
        ch.basicQos(prefetch);
        Subscription s = new Subscription(ch, tags);
        current = s;
        s.tag = ch.basicConsume(queue, false, "", false, false, null, s);
        LOG.info("Consumer {} consuming queue '{}' (prefetch {}, consumer tag {})", name, queue, prefetch, s.tag);
    }

    /**
     * Called once the client has recovered the connection. It registers the consumer again on the
     * recovered channel; when that fails (the queue was deleted during the outage: 404) the broker
     * closes the channel and nobody is told, so this subscribes again, declaring the topology.
     */
    public void afterConnectionRecovery() {
        Subscription s = current;
        if (gate.isStopped() || s == null || s.channel.isOpen()) {
            return;
        }
        ShutdownSignalException cause = s.channel.getCloseReason();
        String why = "consumer on queue '" + queue + "' not registered again after the connection recovered ("
                + (cause == null ? "channel closed" : cause.getMessage()) + "); subscribing again every " + retryInterval.toMillis() + " ms";
        LOG.warn("Consumer {}: {}", name, why);
        listener.notConsuming(name, why);
        resubscribeLater(0);
    }

    private void resubscribeLater(long delayMillis) {
        try {
            operations.schedule(this::resubscribe, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Runs on the operations thread; schedules itself again until it succeeds or the consumer stops. */
    private void resubscribe() {
        if (gate.isStopped()) {
            return;
        }
        if (!connection.isOpen()) {
            resubscribeLater(retryInterval.toMillis()); // the client is recovering the connection
            return;
        }
        Subscription old = current;
        if (old.tag != null && !old.cancelledByBroker && old.channel.isOpen()) {
            listener.consuming(name); // consuming already (asked twice: a cancel, then a recovery)
            return;
        }
        try {
            if (!old.channel.isOpen()) {
                old.retire();
            }
            topology.ensure();
            Channel ch;
            ChannelTags tags;
            if (old.channel.isOpen()) {
                tags = old.tags;
                ch = old.channel; // a cancelled consumer: its channel, and its unsettled deliveries, are fine
                if (old.tag != null) {
                    try {
                        // Already cancelled by the broker; this drops the client's record of it, which
                        // would otherwise register it again at the next connection recovery.
                        ch.basicCancel(old.tag);
                    } catch (IOException e) {
                        LOG.debug("Consumer {}: forgetting cancelled consumer tag {}: {}", name, old.tag, e.toString());
                    }
                }
            } else {
                ch = connection.createChannel();
                tags = new ChannelTags();
            }
            consume(ch, tags);
            lastResubscribeFailure = null;
            listener.consuming(name);
        } catch (IOException | TimeoutException | RuntimeException e) {
            String why = "cannot consume queue '" + queue + "': " + e.getMessage() + "; trying again every "
                    + retryInterval.toMillis() + " ms";
            if (why.equals(lastResubscribeFailure)) {
                LOG.debug("Consumer {} {}", name, why); // said once at WARN; an outage must not flood the log
            } else {
                LOG.warn("Consumer {} {}", name, why);
            }
            lastResubscribeFailure = why;
            listener.notConsuming(name, why);
            resubscribeLater(retryInterval.toMillis());
        }
    }

    /**
     * Hands out what is buffered while the gate is open, on the calling thread; if another thread
     * is doing so, that one picks up what was added meanwhile (it looks again after letting go).
     */
    private void deliverBuffered() {
        while (gate.isOpen() && !buffer.isEmpty() && delivering.compareAndSet(false, true)) {
            try {
                Delivery d;
                while ((d = buffer.pollFirst()) != null) {
                    if (!gate.isOpen()) {
                        buffer.offerFirst(d); // paused meanwhile: keep it, in order, for resume
                        break;
                    }
                    deliver(d);
                }
            } finally {
                delivering.set(false);
            }
        }
    }

    private void deliver(Delivery d) {
        if (d.incarnation != d.subscription.tags.incarnation.get()) {
            return; // its channel closed: the broker delivers it again
        }
        try {
            receiver.receive(d);
        } catch (RuntimeException e) {
            LOG.error("Receiver failed on delivery {} of consumer {}; the message stays unacknowledged and is "
                    + "delivered again when the channel closes", d.deliveryTag(), name, e);
        }
    }

    /** Ours: hands over what arrived while the gate was closed, each time it changes (a resume). */
    private void deliverLoop() {
        try {
            while (!gate.isStopped()) {
                long seen = gate.changes();
                deliverBuffered();
                gate.awaitChange(seen, 200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@code d} can still be settled: the channel that delivered it is open, in the same incarnation. */
    public boolean isCurrent(Delivery d) {
        return d.incarnation == d.subscription.tags.incarnation.get() && d.subscription.channel.isOpen();
    }

    private Throwable whyGone(Delivery d) {
        return isCurrent(d) ? null : new IllegalStateException("the channel that delivered tag " + d.deliveryTag()
                + " on queue '" + queue + "' is closed (connection lost or source closed); the broker delivers the message again");
    }

    /** Acknowledges {@code d}; completes once the ack was written, exceptionally if its channel is gone. Writes on this thread. */
    public CompletableFuture<Void> ack(Delivery d) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        acks.ack(d, error -> complete(done, error), true);
        return done;
    }

    /**
     * Acknowledges {@code d} on the channel that delivered it, then calls {@code then} with the
     * error or {@code null}, on this consumer's operations thread (or a worker writing acks): a
     * caller on the connection's thread (a publisher confirm) thereby never writes or runs
     * settlement callbacks there.
     */
    public void ack(Delivery d, Consumer<Throwable> then) {
        acks.ack(d, then, false);
    }

    /** Returns {@code d} to the queue at once (basic.nack with requeue), then calls {@code then} as {@link #ack(Delivery, Consumer)}. */
    public void requeue(Delivery d, Consumer<Throwable> then) {
        acks.requeue(d, then);
    }

    private static void complete(CompletableFuture<Void> f, Throwable error) {
        if (error == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(error);
        }
    }

    /** Stops the delivery thread's hand-outs and cancels the consumer; waits at most {@code millis}. */
    public void cancel(long millis) {
        Subscription s = current;
        if (s == null || s.tag == null || !s.channel.isOpen()) {
            return;
        }
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        try {
            operations.execute(() -> {
                try {
                    s.channel.basicCancel(s.tag);
                    cancelled.complete(null);
                } catch (IOException | RuntimeException e) {
                    cancelled.completeExceptionally(e);
                }
            });
            cancelled.get(millis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.debug("Consumer {} could not be cancelled cleanly ({}); closing its channel requeues its messages", name, e.toString());
        }
    }

    /** Ends the threads; the connection's close closes the channel and the broker requeues what is unacknowledged. */
    public void shutdown() {
        operations.shutdown();
        try {
            operations.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deliveryThread.interrupt();
    }
}
