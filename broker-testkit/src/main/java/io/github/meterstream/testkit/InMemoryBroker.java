package io.github.meterstream.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A broker in this JVM's memory: named queues that {@link InMemoryBrokerSource}s consume
 * competitively, each with a dead-letter queue named {@code <queue>.dlq}. Enough broker to run the
 * pipeline, the examples and the compatibility kit without a server; it keeps nothing on disk.
 */
public final class InMemoryBroker implements AutoCloseable {

    private static final Map<String, InMemoryBroker> NAMED = new ConcurrentHashMap<>();

    /** One stored message. Immutable. */
    public static final class StoredMessage {
        private final long id;
        private final byte[] payload;
        private final Map<String, String> headers;
        private final int deliveries;

        StoredMessage(long id, byte[] payload, Map<String, String> headers, int deliveries) {
            this.id = id;
            this.payload = payload;
            this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
            this.deliveries = deliveries;
        }

        public long id() {
            return id;
        }

        public byte[] payload() {
            return payload;
        }

        public Map<String, String> headers() {
            return headers;
        }

        /** How many times this message was delivered before (0 for a new message). */
        public int deliveries() {
            return deliveries;
        }

        StoredMessage redelivered() {
            return new StoredMessage(id, payload, headers, deliveries + 1);
        }
    }

    private final Map<String, LinkedBlockingDeque<StoredMessage>> queues = new ConcurrentHashMap<>();
    /** Queues that refuse new messages, as a full or unreachable destination would. */
    private final Set<String> refusing = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private final ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meterstream-in-memory-broker-delays");
        t.setDaemon(true);
        return t;
    });

    /** The broker of this JVM called {@code name}, created on first use (the {@code in-memory} source type uses these). */
    public static InMemoryBroker named(String name) {
        return NAMED.computeIfAbsent(name, n -> new InMemoryBroker());
    }

    LinkedBlockingDeque<StoredMessage> queue(String name) {
        return queues.computeIfAbsent(name, n -> new LinkedBlockingDeque<>());
    }

    /** Appends a message to {@code queue}. */
    public void publish(String queue, byte[] payload, Map<String, String> headers) {
        queue(queue).addLast(new StoredMessage(ids.incrementAndGet(), payload, headers, 0));
    }

    /** Appends a UTF-8 text message without headers. */
    public void publish(String queue, String payload) {
        publish(queue, payload.getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
    }

    /** Messages waiting in {@code queue} (not those delivered and unsettled). */
    public List<StoredMessage> peek(String queue) {
        return new ArrayList<>(queue(queue));
    }

    /** Number of messages waiting in {@code queue}. */
    public int depth(String queue) {
        return queue(queue).size();
    }

    void requeueFirst(String queue, StoredMessage m) {
        queue(queue).addFirst(m);
    }

    void requeueLater(String queue, StoredMessage m, Duration delay) {
        delays.schedule(() -> queue(queue).addLast(m), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Appends {@code m}; throws {@link IllegalStateException} while {@code queue} refuses messages. */
    void append(String queue, StoredMessage m) {
        if (refusing.contains(queue)) {
            throw new IllegalStateException("queue " + queue + " refuses new messages");
        }
        queue(queue).addLast(m);
    }

    /**
     * Makes {@code queue} refuse what sources append to it (a dead-letter copy, for instance) until
     * {@link #accept(String)}; publishing by hand still works. For tests of failed settlements.
     */
    public void refuse(String queue) {
        refusing.add(queue);
    }

    /** Ends {@link #refuse(String)}. */
    public void accept(String queue) {
        refusing.remove(queue);
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    @Override
    public void close() {
        delays.shutdownNow();
        queues.clear();
    }
}
