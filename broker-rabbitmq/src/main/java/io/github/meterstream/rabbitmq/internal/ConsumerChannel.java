package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One consumer on its own channel, with manual acknowledgements and a prefetch limit.
 *
 * <ul>
 *   <li>The client's dispatch thread only appends deliveries to a local buffer (at most
 *       {@code prefetch} long, since the broker sends no more unacknowledged ones).</li>
 *   <li>A delivery thread of ours hands them to the receiver in broker order while the {@link
 *       FlowGate} is open. Pausing therefore keeps the consumer and the connection alive: the
 *       broker stops at the prefetch limit, nothing is cancelled or requeued.</li>
 *   <li>Every operation on the channel (ack, nack, cancel) runs on one thread per channel, so
 *       settlements from any thread never use the channel concurrently.</li>
 * </ul>
 */
public final class ConsumerChannel {

    /** Gets each delivery, on the delivery thread, in broker order. */
    @FunctionalInterface
    public interface Receiver {
        void receive(Delivery delivery);
    }

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerChannel.class);

    private final String name;
    private final Connection connection;
    private volatile Channel channel;
    private final String queue;
    private final FlowGate gate;
    private final Receiver receiver;
    private final ExecutorService operations;
    private final LinkedBlockingDeque<Delivery> buffer = new LinkedBlockingDeque<>();
    private final AtomicLong incarnation = new AtomicLong();
    private final Thread deliveryThread;
    private volatile String consumerTag;
    private volatile int prefetch;

    public ConsumerChannel(Connection connection, String name, String queue, FlowGate gate, Receiver receiver) throws IOException {
        this.name = name;
        this.connection = connection;
        this.channel = connection.createChannel();
        this.queue = queue;
        this.gate = gate;
        this.receiver = receiver;
        this.operations = Executors.newSingleThreadExecutor(daemon(name + "-channel"));
        this.deliveryThread = daemon(name + "-delivery").newThread(this::deliverLoop);
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
        consume(channel);
    }

    private void consume(Channel ch) throws IOException {
        ch.basicQos(prefetch);
        consumerTag = ch.basicConsume(queue, false, "", false, false, null, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                buffer.add(new Delivery(ConsumerChannel.this, incarnation.get(), envelope, properties, body));
            }

            @Override
            public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
                // Dispatched after every delivery of the closing channel: those keep the old
                // incarnation, deliveries after a recovery get the new one.
                incarnation.incrementAndGet();
                buffer.clear();
                if (sig.isInitiatedByApplication()) {
                    return;
                }
                LOG.warn("Consumer {} on queue '{}' lost its channel ({}); unacknowledged messages go back to the queue",
                        name, queue, sig.getMessage());
                if (!sig.isHardError() && !gate.isStopped()) {
                    // closed by the broker alone (e.g. consumer_timeout): the client only recovers whole connections
                    reopenLater();
                }
            }

            @Override
            public void handleCancel(String tag) {
                LOG.warn("Consumer {} was cancelled by the broker: queue '{}' deleted or its node down; no further deliveries "
                        + "until the source is restarted", name, queue);
            }
        });
        LOG.info("Consumer {} consuming queue '{}' (prefetch {}, consumer tag {})", name, queue, prefetch, consumerTag);
    }

    private void reopenLater() {
        try {
            operations.execute(() -> {
                if (gate.isStopped() || !connection.isOpen()) {
                    return;
                }
                try {
                    Channel ch = connection.createChannel();
                    channel = ch;
                    consume(ch);
                } catch (IOException | RuntimeException e) {
                    LOG.error("Consumer {} could not reopen its channel on queue '{}': {}; restart the source", name, queue, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void deliverLoop() {
        try {
            while (!gate.isStopped()) {
                if (!gate.awaitOpen(200)) {
                    continue;
                }
                Delivery d = buffer.poll(100, TimeUnit.MILLISECONDS);
                if (d == null) {
                    continue;
                }
                if (d.incarnation != incarnation.get()) {
                    continue; // its channel closed: the broker delivers it again
                }
                if (!gate.isOpen()) {
                    buffer.offerFirst(d); // paused meanwhile: keep it, in order, for resume
                    continue;
                }
                try {
                    receiver.receive(d);
                } catch (RuntimeException e) {
                    LOG.error("Receiver failed on delivery {} of consumer {}; the message stays unacknowledged and is "
                            + "delivered again when the channel closes", d.deliveryTag(), name, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@code d} can still be settled: its channel incarnation is the open one. */
    public boolean isCurrent(Delivery d) {
        return d.incarnation == incarnation.get() && channel.isOpen();
    }

    /** Acknowledges {@code d}; completes once the ack was written, exceptionally if its channel is gone. */
    public CompletableFuture<Void> ack(Delivery d) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ack(d, error -> complete(done, error));
        return done;
    }

    /**
     * Acknowledges {@code d}, then calls {@code then} with the error or {@code null}, on this
     * channel's thread: a caller on the connection's thread (a publisher confirm) thereby never runs
     * settlement callbacks there.
     */
    public void ack(Delivery d, Consumer<Throwable> then) {
        onChannel(d, () -> channel.basicAck(d.deliveryTag(), false), then);
    }

    /** Returns {@code d} to the queue at once (basic.nack with requeue), then calls {@code then} as {@link #ack(Delivery, Consumer)}. */
    public void requeue(Delivery d, Consumer<Throwable> then) {
        onChannel(d, () -> channel.basicNack(d.deliveryTag(), false, true), then);
    }

    private static void complete(CompletableFuture<Void> f, Throwable error) {
        if (error == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(error);
        }
    }

    private interface ChannelCall {
        void run() throws IOException;
    }

    private void onChannel(Delivery d, ChannelCall call, Consumer<Throwable> then) {
        try {
            operations.execute(() -> {
                Throwable error = null;
                try {
                    if (!isCurrent(d)) {
                        throw new IllegalStateException("the channel that delivered tag " + d.deliveryTag() + " on queue '"
                                + queue + "' is closed (connection lost or source closed); the broker delivers the message again");
                    }
                    call.run();
                } catch (IOException | RuntimeException e) {
                    error = e;
                }
                then.accept(error);
            });
        } catch (RejectedExecutionException e) {
            then.accept(new IllegalStateException("consumer " + name + " is closed; the broker delivers tag "
                    + d.deliveryTag() + " again", e));
        }
    }

    /** Stops the delivery thread's hand-outs and cancels the consumer; waits at most {@code millis}. */
    public void cancel(long millis) {
        String tag = consumerTag;
        if (tag == null || !channel.isOpen()) {
            return;
        }
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        try {
            operations.execute(() -> {
                try {
                    channel.basicCancel(tag);
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
