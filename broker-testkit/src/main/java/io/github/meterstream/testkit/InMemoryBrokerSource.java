package io.github.meterstream.testkit;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.source.SourceHealth;

import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A {@link io.github.meterstream.core.source.BrokerSource} on an {@link InMemoryBroker} queue, and
 * the smallest example of an adapter on {@link AbstractBrokerSource}. One delivery thread hands
 * messages over in queue order; settlements take effect at once: ack forgets the message, retry
 * puts it back after the delay, dead-letter appends it with the envelope headers to {@code
 * <queue>.dlq} (when the broker refuses that, the original goes back to the queue). On close,
 * messages not settled go back to the head of the queue, as a broker does when a consumer's
 * connection closes. It passes {@code BrokerSourceCompatibilityKit}.
 */
public final class InMemoryBrokerSource extends AbstractBrokerSource<InMemoryBroker.StoredMessage> {

    private final InMemoryBroker broker;
    private final String queue;
    private final String deadLetterQueue;
    private final int maxHeaderBytes;
    private Thread deliveryThread;

    public InMemoryBrokerSource(String name, InMemoryBroker broker, String queue) {
        this(name, broker, queue, queue + ".dlq", DeadLetterEnvelope.DEFAULT_MAX_HEADER_BYTES);
    }

    public InMemoryBrokerSource(String name, InMemoryBroker broker, String queue, String deadLetterQueue, int maxHeaderBytes) {
        super(name);
        this.broker = Objects.requireNonNull(broker, "broker");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.deadLetterQueue = Objects.requireNonNull(deadLetterQueue, "deadLetterQueue");
        this.maxHeaderBytes = maxHeaderBytes;
    }

    @Override
    protected void startConsuming() {
        deliveryThread = threadFactory("in-memory").newThread(this::deliver);
        reportHealth(SourceHealth.State.CONNECTED, "queue " + queue);
        deliveryThread.start();
    }

    private void deliver() {
        try {
            while (!isClosing()) {
                if (!gate().awaitOpen(200)) {
                    continue;
                }
                InMemoryBroker.StoredMessage m = broker.queue(queue).pollFirst(50, TimeUnit.MILLISECONDS);
                if (m == null) {
                    continue;
                }
                if (!gate().isOpen()) {
                    broker.requeueFirst(queue, m); // paused or closing meanwhile: it keeps its place
                    continue;
                }
                handOver(m, InboundMessage.builder()
                        .payload(m.payload())
                        .headers(m.headers())
                        .coordinates(SourceCoordinates.of(name(), queue, Long.toString(m.id())))
                        .deliveryAttempt(m.deliveries() + 1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected CompletionStage<Void> ack(InMemoryBroker.StoredMessage m, InboundMessage message) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected CompletionStage<Void> retry(InMemoryBroker.StoredMessage m, InboundMessage message, Duration delay) {
        broker.requeueLater(queue, m.redelivered(), delay);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected CompletionStage<Void> deadLetter(InMemoryBroker.StoredMessage m, InboundMessage message, DeadLetterEnvelope envelope) {
        Map<String, String> headers = new LinkedHashMap<>(m.headers());
        headers.putAll(envelope.toHeaders(maxHeaderBytes));
        try {
            broker.append(deadLetterQueue, new InMemoryBroker.StoredMessage(broker.nextId(), m.payload(), headers, 0));
        } catch (IllegalStateException refused) {
            broker.requeueFirst(queue, m.redelivered()); // never dropped: the original is delivered again
            return CompletableFuture.failedFuture(refused);
        }
        return CompletableFuture.completedFuture(null);
    }

    /** The delivery thread ends within one poll: nothing is handed over after this returns. */
    @Override
    protected void stopConsuming() {
        Thread t = deliveryThread;
        if (t != null) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What is still unsettled goes back, in its original order, ahead of newer messages. */
    @Override
    protected void release(List<InMemoryBroker.StoredMessage> unsettled) {
        unsettled.stream().sorted(Comparator.comparingLong(InMemoryBroker.StoredMessage::id).reversed())
                .forEach(m -> broker.requeueFirst(queue, m.redelivered()));
    }

    @Override
    public SourceHealth health() {
        SourceHealth h = super.health();
        return h.state() == SourceHealth.State.CONNECTED ? h.withLag(broker.depth(queue)) : h;
    }
}
