package io.github.meterstream.testkit;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.source.Settlement;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.source.SourceHealth;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BrokerSource} on an {@link InMemoryBroker} queue. One delivery thread hands messages
 * over in queue order; settlements take effect at once: ack forgets the message, retry puts it
 * back after the delay, dead-letter appends it with the envelope headers to {@code <queue>.dlq}.
 * On close, messages not settled go back to the head of the queue, as a broker does when a
 * consumer's connection closes. It passes {@code BrokerSourceCompatibilityKit}.
 */
public final class InMemoryBrokerSource implements BrokerSource {

    private final String name;
    private final InMemoryBroker broker;
    private final String queue;
    private final String deadLetterQueue;
    private final int maxHeaderBytes;
    private final Map<Long, InMemoryBroker.StoredMessage> unsettled = new ConcurrentHashMap<>();
    private final Object pauseLock = new Object();
    private volatile boolean paused;
    private volatile boolean closed;
    private volatile SourceHealth health = SourceHealth.of(SourceHealth.State.NOT_STARTED, "", Instant.now());
    private Thread deliveryThread;

    public InMemoryBrokerSource(String name, InMemoryBroker broker, String queue) {
        this(name, broker, queue, queue + ".dlq", DeadLetterEnvelope.DEFAULT_MAX_HEADER_BYTES);
    }

    public InMemoryBrokerSource(String name, InMemoryBroker broker, String queue, String deadLetterQueue, int maxHeaderBytes) {
        this.name = Objects.requireNonNull(name, "name");
        this.broker = Objects.requireNonNull(broker, "broker");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.deadLetterQueue = Objects.requireNonNull(deadLetterQueue, "deadLetterQueue");
        this.maxHeaderBytes = maxHeaderBytes;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized void start(MessageSink sink) {
        if (deliveryThread != null) {
            throw new IllegalStateException("source " + name + " was already started");
        }
        deliveryThread = new Thread(() -> deliver(sink), "meterstream-in-memory-" + name);
        deliveryThread.setDaemon(true);
        health = SourceHealth.of(SourceHealth.State.CONNECTED, "queue " + queue, Instant.now());
        deliveryThread.start();
    }

    private void deliver(MessageSink sink) {
        while (!closed) {
            try {
                synchronized (pauseLock) {
                    while (paused && !closed) {
                        pauseLock.wait();
                    }
                }
                if (closed) {
                    return;
                }
                InMemoryBroker.StoredMessage m = broker.queue(queue).pollFirst(50, TimeUnit.MILLISECONDS);
                if (m == null) {
                    continue;
                }
                if (closed || paused) {
                    broker.requeueFirst(queue, m);
                    continue;
                }
                unsettled.put(m.id(), m);
                InboundMessage message = InboundMessage.builder()
                        .payload(m.payload())
                        .headers(m.headers())
                        .coordinates(SourceCoordinates.of(name, queue, Long.toString(m.id())))
                        .deliveryAttempt(m.deliveries() + 1)
                        .settler((msg, s) -> settle(m, s))
                        .build();
                try {
                    sink.accept(message);
                } catch (RuntimeException e) {
                    // a sink bug: leave it unsettled, it goes back to the queue on close
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private CompletionStage<Void> settle(InMemoryBroker.StoredMessage m, Settlement s) {
        if (unsettled.remove(m.id()) == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "source " + name + " is closed; message " + m.id() + " was returned to queue " + queue));
        }
        switch (s.kind()) {
            case RETRY:
                broker.requeueLater(queue, m.redelivered(), s.delay());
                break;
            case DEAD_LETTER:
                Map<String, String> headers = new LinkedHashMap<>(m.headers());
                headers.putAll(s.envelope().toHeaders(maxHeaderBytes));
                broker.append(deadLetterQueue, new InMemoryBroker.StoredMessage(broker.nextId(), m.payload(), headers, 0));
                break;
            case ACK:
            default:
                break;
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        synchronized (pauseLock) {
            paused = false;
            pauseLock.notifyAll();
        }
    }

    @Override
    public SourceHealth health() {
        SourceHealth h = health;
        return h.state() == SourceHealth.State.CONNECTED ? h.withLag(broker.depth(queue)) : h;
    }

    @Override
    public void close(Duration timeout) {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = deliveryThread;
        }
        synchronized (pauseLock) {
            pauseLock.notifyAll();
        }
        if (t != null) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!unsettled.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5); // bounded by the caller's timeout; the in-memory broker has no confirm to await
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // What is still unsettled goes back, in its original order, ahead of newer messages.
        unsettled.keySet().stream().sorted((a, b) -> Long.compare(b, a)).forEach(id -> {
            InMemoryBroker.StoredMessage m = unsettled.remove(id);
            if (m != null) {
                broker.requeueFirst(queue, m.redelivered());
            }
        });
        health = SourceHealth.of(SourceHealth.State.CLOSED, "", Instant.now());
    }
}
