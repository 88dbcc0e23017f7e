package io.github.meterstream.testkit;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

/**
 * The promises every {@link BrokerSource} keeps, as tests. An adapter proves itself by extending
 * this class in about twenty lines: say how to create a source on a destination, how to publish to
 * it and how to read its dead-letter destination.
 *
 * <pre>{@code
 * class KafkaSourceCompatibilityTest extends BrokerSourceCompatibilityKit {
 *     protected BrokerSource createSource(String destination) { ... }
 *     protected void publish(String destination, TestMessage message) { ... }
 *     protected List<TestMessage> deadLetters(String destination) { ... }
 * }
 * }</pre>
 *
 * <p>Every test uses its own destination ({@link #newDestination()}), so tests do not see each
 * other's messages. Tests wait for conditions with a deadline ({@link #timeout()}); none sleeps to
 * wait. Sources created through {@link #source(String)} are closed after each test.
 *
 * <p>Beyond the three abstract hooks, an adapter may implement {@link #breakDeadLetters(String)} and
 * {@link #restoreDeadLetters(String)} so that the kit can prove that a failed settlement loses
 * nothing; without them that one test is skipped.
 *
 * <p>This class is longer than most on purpose: JUnit's {@code @Nested} groups must be inner
 * classes of the kit, so every promise lives here, one short group each.
 *
 * <p>The kit groups its tests in {@code @Nested} classes. A broker started by a static
 * {@code @RegisterExtension} field of the subclass sees {@code beforeAll}/{@code afterAll} once per
 * group: start it once per JVM (or remember which class started it), not once per callback.
 */
public abstract class BrokerSourceCompatibilityKit {

    /** A message as the kit publishes it and reads it back from a dead-letter destination. */
    public static final class TestMessage {
        private final byte[] payload;
        private final Map<String, String> headers;
        private final String key;

        public TestMessage(byte[] payload, Map<String, String> headers, String key) {
            this.payload = payload;
            this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
            this.key = key;
        }

        public static TestMessage text(String payload) {
            return new TestMessage(payload.getBytes(StandardCharsets.UTF_8), Map.of(), null);
        }

        public byte[] payload() {
            return payload;
        }

        public String payloadAsString() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public Map<String, String> headers() {
            return headers;
        }

        /** The broker-level key (Kafka record key), or {@code null}. Sources without keys ignore it. */
        public String key() {
            return key;
        }
    }

    // ---- what an adapter provides -------------------------------------------------------------

    /**
     * A new, not yet started source consuming {@code destination}. Several sources created for one
     * destination compete for its messages (one consumer group, one queue). Configure short
     * timeouts: the kit closes sources often.
     */
    protected abstract BrokerSource createSource(String destination) throws Exception;

    /** Publishes {@code message} to {@code destination} and returns once the broker has it. */
    protected abstract void publish(String destination, TestMessage message) throws Exception;

    /** Everything in the dead-letter destination of {@code destination} so far, oldest first. */
    protected abstract List<TestMessage> deadLetters(String destination) throws Exception;

    /** A destination no other test uses; create it here if the broker needs that. */
    protected String newDestination() throws Exception {
        return "kit-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** How long the kit waits for a condition. Default 30 s. */
    protected Duration timeout() {
        return Duration.ofSeconds(30);
    }

    /** How long "nothing arrives" must hold in the pause test. Default 1 s. */
    protected Duration quietPeriod() {
        return Duration.ofSeconds(1);
    }

    /**
     * Optional: makes the dead-letter destination of {@code destination} refuse copies (the broker
     * does not confirm them) until {@link #restoreDeadLetters(String)}, and returns true. The default
     * returns false: the adapter cannot, and the kit skips its test of a failed settlement.
     */
    protected boolean breakDeadLetters(String destination) throws Exception {
        return false;
    }

    /** Ends {@link #breakDeadLetters(String)}: dead-letter copies are confirmed again. */
    protected void restoreDeadLetters(String destination) throws Exception {
    }

    /**
     * Optional: a new, not yet started source on {@code destination} whose broker address points at
     * a closed port (nothing listens there), with a short reconnect delay. The default returns null:
     * the kit skips its health test of a source that never connects.
     */
    protected BrokerSource createUnreachableSource(String destination) throws Exception {
        return null;
    }

    /** How long health must stay the same in the unreachable-source test: over one more connection attempt. Default 6 s. */
    protected Duration nextAttemptWithin() {
        return Duration.ofSeconds(6);
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    /** A started source on {@code destination} whose deliveries land in the returned queue. */
    protected final Consumer source(String destination) throws Exception {
        return source(destination, null);
    }

    /** A started source whose deliveries go to {@code sink} first; those it accepts land in the queue. */
    private Consumer source(String destination, MessageSink sink) throws Exception {
        BrokerSource source = createSource(destination);
        Consumer consumer = new Consumer(source);
        toClose.add(consumer);
        source.start(m -> {
            if (sink != null) {
                sink.accept(m);
            }
            consumer.received.add(m);
        });
        return consumer;
    }

    /** A started source and the messages it delivered. */
    protected static final class Consumer implements AutoCloseable {
        public final BrokerSource source;
        public final BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();

        Consumer(BrokerSource source) {
            this.source = source;
        }

        @Override
        public void close() {
            source.close(Duration.ofSeconds(2));
        }
    }

    private InboundMessage next(Consumer consumer) throws InterruptedException {
        InboundMessage m = consumer.received.poll(timeout().toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("a message delivered within %s", timeout()).isNotNull();
        return m;
    }

    private void awaitConfirmed(java.util.concurrent.CompletionStage<Void> stage) throws Exception {
        stage.toCompletableFuture().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @BeforeEach
    void resetCloseables() {
        toClose.clear();
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static Map<String, String> headers(String... kv) {
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            h.put(kv[i], kv[i + 1]);
        }
        return h;
    }

    private static DeadLetterEnvelope envelope(InboundMessage m) {
        return DeadLetterEnvelope.builder()
                .reasonCode("KIT_REJECTED")
                .reason("rejected by the compatibility kit")
                .exceptionClass(IllegalArgumentException.class.getName())
                .coordinates(m.coordinates())
                .attempts(m.deliveryAttempt())
                .lastFailureAt(java.time.Instant.now())
                .tenant("kit-tenant")
                .trackingId("kit-tracking-id")
                .build();
    }

    // ---- the promises -------------------------------------------------------------------------

    @Nested
    @DisplayName("Life cycle")
    class LifeCycle {

        @Test
        @DisplayName("a started source reports itself connected and a closed one closed")
        void health() throws Exception {
            String d = newDestination();
            Consumer c = source(d);
            await().atMost(timeout()).until(() -> c.source.health().state() == SourceHealth.State.CONNECTED);
            c.source.close(Duration.ofSeconds(2));
            assertThat(c.source.health().state()).isEqualTo(SourceHealth.State.CLOSED);
        }

        @Test
        @DisplayName("delivered messages carry the source name, the destination and a position")
        void coordinates() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("where am I"));
            Consumer c = source(d);
            InboundMessage m = next(c);
            SourceCoordinates at = m.coordinates();
            assertThat(at.source()).isEqualTo(c.source.name());
            assertThat(at.destination()).contains(d);
            assertThat(at.position()).isNotBlank();
            assertThat(m.deliveryAttempt()).isGreaterThanOrEqualTo(1);
            m.ack();
        }
    }

    @Nested
    @DisplayName("Acknowledgement")
    class Acknowledgement {

        @Test
        @DisplayName("an acknowledged message is never delivered again")
        void ackRemovesForGood() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("first"));
            Consumer a = source(d);
            InboundMessage m = next(a);
            assertThat(m.payloadAsString()).isEqualTo("first");
            awaitConfirmed(m.ack());
            a.source.close(Duration.ofSeconds(5));

            publish(d, TestMessage.text("marker"));
            Consumer b = source(d);
            InboundMessage after = next(b);
            assertThat(after.payloadAsString()).as("the next consumer sees only what came after the ack").isEqualTo("marker");
            after.ack();
        }

        @Test
        @DisplayName("a message not settled when the source closes is delivered again")
        void unsettledIsRedelivered() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("unsettled"));
            Consumer a = source(d);
            InboundMessage first = next(a);
            a.source.close(Duration.ofMillis(200));

            Consumer b = source(d);
            InboundMessage again = next(b);
            assertThat(again.payloadAsString()).isEqualTo("unsettled");
            awaitConfirmed(again.ack());
            assertThat(first.isSettled()).isFalse();
        }

        @Test
        @DisplayName("settling a message after its source closed fails instead of pretending")
        void settleAfterCloseFails() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("late"));
            Consumer a = source(d);
            InboundMessage m = next(a);
            a.source.close(Duration.ofMillis(100));
            assertThat(m.ack().toCompletableFuture())
                    .failsWithin(timeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Nested
    @DisplayName("Retry")
    class Retry {

        @Test
        @DisplayName("retry after a delay delivers the same payload and headers again, not before the delay, with a higher attempt")
        void retryRedelivers() throws Exception {
            String d = newDestination();
            publish(d, new TestMessage("retry me".getBytes(StandardCharsets.UTF_8), headers("x_origin", "kit"), "k1"));
            Consumer c = source(d);
            InboundMessage first = next(c);
            Duration delay = Duration.ofMillis(500);
            long settledAt = System.nanoTime();
            awaitConfirmed(first.retryAfter(delay));

            InboundMessage again = next(c);
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - settledAt);
            assertThat(again.payloadAsString()).isEqualTo("retry me");
            assertThat(again.headers()).containsEntry("x_origin", "kit");
            assertThat(again.deliveryAttempt()).isGreaterThan(first.deliveryAttempt());
            // A lower bound is a correctness rule (retry must not hammer a failing downstream), not a speed claim.
            assertThat(elapsedMs).as("redelivered after the delay").isGreaterThanOrEqualTo(delay.toMillis() - 50);
            awaitConfirmed(again.ack());
        }
    }

    @Nested
    @DisplayName("Dead-letter")
    class DeadLetter {

        @Test
        @DisplayName("a dead-lettered message keeps its payload and headers and gains the envelope")
        void deadLetterKeepsOriginal() throws Exception {
            String d = newDestination();
            publish(d, new TestMessage("{\"poison\":true}".getBytes(StandardCharsets.UTF_8),
                    headers("x_origin", "kit", "x_trace", "abc-123"), "k1"));
            // same key: on a partitioned broker only messages of one key (one partition) keep their order
            publish(d, new TestMessage("behind the poison".getBytes(StandardCharsets.UTF_8), Map.of(), "k1"));
            Consumer c = source(d);
            InboundMessage poison = next(c);
            DeadLetterEnvelope envelope = envelope(poison);
            awaitConfirmed(poison.deadLetter(envelope));
            InboundMessage behind = next(c);
            assertThat(behind.payloadAsString()).isEqualTo("behind the poison");
            awaitConfirmed(behind.ack());

            await().atMost(timeout()).until(() -> !deadLetters(d).isEmpty());
            List<TestMessage> dlq = deadLetters(d);
            assertThat(dlq).hasSize(1);
            TestMessage dead = dlq.get(0);
            assertThat(dead.payloadAsString()).isEqualTo("{\"poison\":true}");
            assertThat(dead.headers())
                    .containsEntry("x_origin", "kit")
                    .containsEntry("x_trace", "abc-123")
                    .containsEntry(DeadLetterEnvelope.REASON_CODE, "KIT_REJECTED")
                    .containsEntry(DeadLetterEnvelope.REASON, "rejected by the compatibility kit")
                    .containsEntry(DeadLetterEnvelope.TENANT, "kit-tenant")
                    .containsEntry(DeadLetterEnvelope.TRACKING_ID, "kit-tracking-id")
                    .containsEntry(DeadLetterEnvelope.SOURCE, c.source.name())
                    .containsEntry(DeadLetterEnvelope.POSITION, poison.coordinates().position())
                    .containsKey(DeadLetterEnvelope.LAST_FAILURE_AT);
        }

        @Test
        @DisplayName("a dead-lettered message is not delivered again")
        void deadLetterRemovesOriginal() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("poison"));
            Consumer a = source(d);
            InboundMessage poison = next(a);
            awaitConfirmed(poison.deadLetter(envelope(poison)));
            a.source.close(Duration.ofSeconds(5));

            publish(d, TestMessage.text("marker"));
            Consumer b = source(d);
            assertThat(next(b).payloadAsString()).isEqualTo("marker");
        }

        @Test
        @DisplayName("a very long reason is capped so that the broker accepts the dead-letter copy")
        void longReasonIsCapped() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("poison with a novel"));
            Consumer c = source(d);
            InboundMessage poison = next(c);
            String stackTraceLike = String.join("\n", Collections.nCopies(20_000, "\tat com.example.Deep.frame(Deep.java:42)"));
            DeadLetterEnvelope envelope = DeadLetterEnvelope.builder().reasonCode("KIT_LONG").reason(stackTraceLike)
                    .coordinates(poison.coordinates()).lastFailureAt(java.time.Instant.now()).build();
            awaitConfirmed(poison.deadLetter(envelope));
            await().atMost(timeout()).until(() -> !deadLetters(d).isEmpty());
            String reason = deadLetters(d).get(0).headers().get(DeadLetterEnvelope.REASON);
            assertThat(reason).endsWith("...[truncated]");
            assertThat(reason.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(DeadLetterEnvelope.DEFAULT_MAX_HEADER_BYTES);
        }
    }

    @Nested
    @DisplayName("Flow control")
    class FlowControl {

        @Test
        @DisplayName("pause stops delivery and resume restarts it")
        void pauseAndResume() throws Exception {
            String d = newDestination();
            Consumer c = source(d);
            await().atMost(timeout()).until(() -> c.source.health().state() == SourceHealth.State.CONNECTED);
            c.source.pause();
            for (int i = 0; i < 5; i++) {
                publish(d, TestMessage.text("while paused " + i));
            }
            await().during(quietPeriod()).atMost(quietPeriod().plus(timeout()))
                    .until(() -> c.received.isEmpty());
            c.source.resume();
            Set<String> got = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                InboundMessage m = next(c);
                got.add(m.payloadAsString());
                m.ack();
            }
            assertThat(got).hasSize(5);
        }

        @Test
        @DisplayName("closing with work in flight loses nothing: every unsettled message comes back")
        void closeWithWorkInFlight() throws Exception {
            String d = newDestination();
            int n = 40;
            for (int i = 0; i < n; i++) {
                publish(d, TestMessage.text("m" + i));
            }
            Consumer a = source(d);
            Set<String> acked = new HashSet<>();
            Set<String> unsettled = new HashSet<>();
            for (int i = 0; i < n / 2; i++) {
                InboundMessage m = next(a);
                if (i % 2 == 0) {
                    awaitConfirmed(m.ack());
                    acked.add(m.payloadAsString());
                } else {
                    unsettled.add(m.payloadAsString());
                }
            }
            a.source.close(Duration.ofMillis(500));

            Consumer b = source(d);
            Set<String> seen = new HashSet<>();
            Set<String> expected = new HashSet<>();
            for (int i = 0; i < n; i++) {
                expected.add("m" + i);
            }
            expected.removeAll(acked);
            // At least once: an acknowledged message may come back only where the broker could not
            // record the ack alone (a Kafka offset behind an unsettled one); every other one must.
            await().atMost(timeout()).until(() -> {
                InboundMessage m;
                while ((m = b.received.poll()) != null) {
                    seen.add(m.payloadAsString());
                    m.ack();
                }
                return seen.containsAll(expected);
            });
            assertThat(seen).containsAll(unsettled);
        }
    }

    @Nested
    @DisplayName("Start")
    class Start {

        @Test
        @DisplayName("start called twice throws IllegalStateException and subscribes nothing more")
        void startTwice() throws Exception {
            String d = newDestination();
            Consumer c = source(d);
            BlockingQueue<InboundMessage> second = new LinkedBlockingQueue<>();
            assertThatThrownBy(() -> c.source.start(second::add)).isInstanceOf(IllegalStateException.class);
            int n = 5;
            for (int i = 0; i < n; i++) {
                publish(d, new TestMessage(("once " + i).getBytes(StandardCharsets.UTF_8), Map.of(), "k" + i));
            }
            Set<String> got = new HashSet<>();
            for (int i = 0; i < n; i++) {
                InboundMessage m = next(c);
                got.add(m.payloadAsString());
                awaitConfirmed(m.ack());
            }
            assertThat(got).hasSize(n);
            await("no second subscription delivers anything").during(quietPeriod()).atMost(quietPeriod().plus(timeout()))
                    .until(() -> second.isEmpty() && c.received.isEmpty());
        }
    }

    @Nested
    @DisplayName("When the sink throws")
    class SinkThrows {

        @Test
        @DisplayName("a message the sink refused is delivered again with a higher attempt, and its ack holds")
        void refusedIsDeliveredAgain() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("refused once"));
            AtomicInteger refusedAttempt = new AtomicInteger();
            Consumer c = source(d, m -> {
                if (refusedAttempt.compareAndSet(0, m.deliveryAttempt())) {
                    throw new IllegalStateException("the compatibility kit's sink refuses its first message");
                }
            });
            InboundMessage again = next(c);
            assertThat(again.payloadAsString()).isEqualTo("refused once");
            assertThat(again.deliveryAttempt()).isGreaterThan(refusedAttempt.get());
            awaitConfirmed(again.ack());

            publish(d, TestMessage.text("marker"));
            assertThat(next(c).payloadAsString()).as("the acknowledged message does not come back").isEqualTo("marker");
        }

        @Test
        @DisplayName("close does not wait for a message the sink refused, and a new source gets it")
        void closeDoesNotWaitForRefused() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("always refused"));
            AtomicInteger refusals = new AtomicInteger();
            Consumer a = source(d, m -> {
                refusals.incrementAndGet();
                throw new IllegalStateException("the compatibility kit's sink refuses everything");
            });
            await().atMost(timeout()).until(() -> refusals.get() > 0);
            Duration closeTimeout = timeout();
            long started = System.nanoTime();
            a.source.close(closeTimeout);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close returned without waiting for its timeout")
                    .isLessThan(closeTimeout.dividedBy(2));

            Consumer b = source(d);
            InboundMessage m = next(b);
            assertThat(m.payloadAsString()).isEqualTo("always refused");
            awaitConfirmed(m.ack());
        }
    }

    @Nested
    @DisplayName("Health")
    class Health {

        @Test
        @DisplayName("a source that cannot reach its broker stays CONNECTING since its start, says why, and knows no lag")
        void unreachable() throws Exception {
            BrokerSource source = createUnreachableSource(newDestination());
            assumeTrue(source != null, "the adapter gives no source pointed at a closed port");
            toClose.add(() -> source.close(Duration.ofSeconds(2)));
            source.start(m -> { });
            SourceHealth started = source.health();
            assertThat(started.state()).isEqualTo(SourceHealth.State.CONNECTING);
            // over more than one more attempt: still CONNECTING since the start, saying why
            await().during(nextAttemptWithin()).atMost(nextAttemptWithin().plus(timeout())).until(() -> {
                SourceHealth h = source.health();
                return h.state() == SourceHealth.State.CONNECTING && h.since().equals(started.since()) && h.lag() == null
                        && !h.detail().isBlank();
            });
        }
    }

    @Nested
    @DisplayName("Failed settlement")
    class FailedSettlement {

        @Test
        @DisplayName("a dead-letter copy the broker does not confirm fails the settlement and the message is delivered again")
        void unconfirmedDeadLetterRedelivers() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("poison, copy refused"));
            Consumer c = source(d);
            InboundMessage first = next(c);
            assumeTrue(breakDeadLetters(d), "the adapter cannot make its dead-letter destination refuse copies");
            try {
                assertThat(first.deadLetter(envelope(first)).toCompletableFuture())
                        .failsWithin(timeout().toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                restoreDeadLetters(d);
            }
            InboundMessage again = next(c);
            assertThat(again.payloadAsString()).isEqualTo("poison, copy refused");
            awaitConfirmed(again.deadLetter(envelope(again)));
            await().atMost(timeout()).until(() -> !deadLetters(d).isEmpty());
            assertThat(deadLetters(d)).extracting(TestMessage::payloadAsString).containsExactly("poison, copy refused");
        }
    }

    @Nested
    @DisplayName("Competing consumers")
    class CompetingConsumers {

        @Test
        @DisplayName("two sources on one destination share its messages and neither gets one twice while both run")
        void shareWithoutDuplicates() throws Exception {
            String d = newDestination();
            Consumer a = source(d);
            Consumer b = source(d);
            await().atMost(timeout()).until(() -> a.source.health().isConnected() && b.source.health().isConnected());
            Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
            Set<String> byA = ConcurrentHashMap.newKeySet();
            Set<String> byB = ConcurrentHashMap.newKeySet();
            AtomicInteger published = new AtomicInteger();
            // publish until both took a share: a broker may hand a short burst to one consumer alone
            await().atMost(timeout()).until(() -> {
                if (published.get() < 20 || byA.isEmpty() || byB.isEmpty()) {
                    for (int i = 0; i < 5; i++) {
                        int n = published.getAndIncrement();
                        publish(d, new TestMessage(("shared " + n).getBytes(StandardCharsets.UTF_8), Map.of(), "k" + n));
                    }
                }
                drain(a, byA, deliveries);
                drain(b, byB, deliveries);
                return published.get() >= 20 && !byA.isEmpty() && !byB.isEmpty() && deliveries.size() == published.get();
            });
            await("nothing arrives twice").during(quietPeriod()).atMost(quietPeriod().plus(timeout())).until(() -> {
                drain(a, byA, deliveries);
                drain(b, byB, deliveries);
                return deliveries.size() == published.get();
            });
            assertThat(deliveries.values()).allSatisfy(n -> assertThat(n.get()).as("deliveries of one message").isEqualTo(1));
            assertThat(byA).as("first source's share").isNotEmpty().doesNotContainAnyElementsOf(byB);
            assertThat(byB).as("second source's share").isNotEmpty();
        }

        private void drain(Consumer c, Set<String> mine, Map<String, AtomicInteger> deliveries) {
            InboundMessage m;
            while ((m = c.received.poll()) != null) {
                mine.add(m.payloadAsString());
                deliveries.computeIfAbsent(m.payloadAsString(), k -> new AtomicInteger()).incrementAndGet();
                m.ack();
            }
        }
    }

    @Nested
    @DisplayName("Close with work in flight")
    class CloseWithWorkInFlight {

        @Test
        @DisplayName("close waits for a settlement in progress, and that settlement holds")
        void closeWaitsForSettlement() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("settled while closing"));
            Consumer a = source(d);
            InboundMessage m = next(a);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> a.source.close(timeout()));
            await("close is still waiting").during(quietPeriod()).atMost(quietPeriod().plus(timeout()))
                    .until(() -> !closing.isDone());
            awaitConfirmed(m.ack());
            closing.get(timeout().toMillis(), TimeUnit.MILLISECONDS);

            publish(d, TestMessage.text("marker"));
            Consumer b = source(d);
            assertThat(next(b).payloadAsString()).as("the message settled during close is gone").isEqualTo("marker");
        }

        @Test
        @DisplayName("close gives up at its timeout and returns what is unsettled: a new source gets it")
        void closeReturnsUnsettled() throws Exception {
            String d = newDestination();
            publish(d, TestMessage.text("never settled"));
            Consumer a = source(d);
            InboundMessage m = next(a);
            Duration closeTimeout = Duration.ofMillis(500);
            long started = System.nanoTime();
            a.source.close(closeTimeout);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close waited for the unsettled message")
                    .isGreaterThanOrEqualTo(closeTimeout.minusMillis(50));
            assertThat(m.ack().toCompletableFuture()).failsWithin(timeout().toMillis(), TimeUnit.MILLISECONDS);

            Consumer b = source(d);
            InboundMessage again = next(b);
            assertThat(again.payloadAsString()).isEqualTo("never settled");
            awaitConfirmed(again.ack());
        }
    }

    @Nested
    @DisplayName("Ordering")
    class Ordering {

        @Test
        @DisplayName("per-key order holds when a pipeline handles many keys concurrently")
        void perKeyOrder() throws Exception {
            String d = newDestination();
            int keys = 10;
            int perKey = 20;
            for (int seq = 0; seq < perKey; seq++) {
                for (int k = 0; k < keys; k++) {
                    publish(d, new TestMessage(("key" + k + ":" + seq).getBytes(StandardCharsets.UTF_8), Map.of(), "key" + k));
                }
            }
            Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
            Random jitter = new Random(42);
            MessageHandler<String[]> handler = (msg, ctx) -> {
                // uneven handler times make a reordering visible if the pipeline allowed one
                Thread.sleep(jitter.nextInt(3));
                seen.computeIfAbsent(msg[0], k -> Collections.synchronizedList(new ArrayList<>())).add(Integer.parseInt(msg[1]));
                return MessageHandler.Outcome.PROCESSED;
            };
            BrokerSource source = createSource(d);
            ConsumerPipeline<String[]> pipeline = ConsumerPipeline.builder(new KeyColonSequence())
                    .source(source).handler(handler)
                    .config(PipelineConfig.builder().concurrency(8).maxInFlight(64).build())
                    .build();
            toClose.add(() -> pipeline.close(Duration.ofSeconds(5)));
            pipeline.start();
            await().atMost(timeout()).until(() -> seen.values().stream().mapToInt(List::size).sum() >= keys * perKey);
            for (Map.Entry<String, List<Integer>> e : seen.entrySet()) {
                List<Integer> order = new ArrayList<>(e.getValue());
                List<Integer> distinctInOrder = order.stream().distinct().collect(Collectors.toList());
                assertThat(distinctInOrder).as("order of %s", e.getKey()).isSorted();
            }
            assertThat(seen).hasSize(keys);
        }
    }

    @Nested
    @DisplayName("Content")
    class Content {

        @Test
        @DisplayName("unicode header values arrive unchanged")
        void unicodeHeaders() throws Exception {
            String d = newDestination();
            Map<String, String> h = headers("x_text", "Zürich ✓ 日本語 🚀 ñ", "x_empty", "", "x_quote", "\"a\",'b'");
            publish(d, new TestMessage("unicode".getBytes(StandardCharsets.UTF_8), h, null));
            Consumer c = source(d);
            InboundMessage m = next(c);
            assertThat(m.headers()).containsAllEntriesOf(h);
            m.ack();
        }

        @Test
        @DisplayName("a 1 MiB payload arrives byte for byte")
        void largePayload() throws Exception {
            String d = newDestination();
            byte[] payload = new byte[1024 * 1024];
            new Random(7).nextBytes(payload);
            publish(d, new TestMessage(payload, Map.of(), null));
            Consumer c = source(d);
            InboundMessage m = next(c);
            assertThat(m.payload()).isEqualTo(payload);
            awaitConfirmed(m.ack());
        }
    }

    /** Payload {@code key:sequence}; ordered by key; no deduplication. */
    private static final class KeyColonSequence implements MessageContract<String[]> {
        @Override
        public String[] decode(InboundMessage message) {
            return message.payloadAsString().split(":", 2);
        }

        @Override
        public String orderingKey(String[] message) {
            return message[0];
        }

        @Override
        public Optional<IdempotencyKey> idempotencyKey(String[] message) {
            return Optional.empty();
        }

        @Override
        public String fingerprint(String[] message) {
            return String.join(":", message);
        }

        @Override
        public String tenant(String[] message) {
            return null;
        }

        @Override
        public String trackingId(String[] message) {
            return null;
        }
    }
}
