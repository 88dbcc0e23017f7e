package io.github.meterstream.core.source;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@DisplayName("AbstractBrokerSource owns the life cycle an adapter would otherwise rebuild")
class AbstractBrokerSourceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A broker-less adapter: the test delivers by hand and decides how each broker call ends. */
    static final class ScriptedSource extends AbstractBrokerSource<String> {
        final AtomicInteger starts = new AtomicInteger();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<List<String>> released = new CopyOnWriteArrayList<>();
        volatile CompletableFuture<Void> nextOutcome;
        volatile RuntimeException startFailure;
        volatile Duration leftAtRelease;
        volatile boolean connectsAtStart = true;

        ScriptedSource() {
            super("scripted");
        }

        void deliver(String id) {
            handOver(id, InboundMessage.builder().payload(id.getBytes()).coordinates(SourceCoordinates.of("scripted", "q", id)));
        }

        @Override
        protected void startConsuming() {
            starts.incrementAndGet();
            if (startFailure != null) {
                throw startFailure;
            }
            if (connectsAtStart) {
                reportHealth(SourceHealth.State.CONNECTED, "queue q");
            }
        }

        void attemptFailed(String detail) {
            connectAttemptFailed(detail);
        }

        void connected() {
            reportHealth(SourceHealth.State.CONNECTED, "queue q");
        }

        void missing(List<String> destinations) {
            reportMissingDestinations(destinations);
        }

        private CompletionStage<Void> outcome(String call) {
            calls.add(call);
            CompletableFuture<Void> f = nextOutcome;
            return f == null ? CompletableFuture.completedFuture(null) : f;
        }

        @Override
        protected CompletionStage<Void> ack(String delivery, InboundMessage message) {
            return outcome("ack " + delivery);
        }

        @Override
        protected CompletionStage<Void> retry(String delivery, InboundMessage message, Duration delay) {
            return outcome("retry " + delivery + " after " + delay.toMillis() + " ms");
        }

        @Override
        protected CompletionStage<Void> deadLetter(String delivery, InboundMessage message, DeadLetterEnvelope envelope) {
            return outcome("dead-letter " + delivery + " " + envelope.reasonCode());
        }

        @Override
        protected void release(List<String> unsettled) {
            leftAtRelease = remainingCloseTime();
            released.add(List.copyOf(unsettled));
        }

        @Override
        protected Duration redeliveryDelay() {
            return Duration.ofMillis(50);
        }
    }

    private final ScriptedSource source = new ScriptedSource();
    private final BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();

    @AfterEach
    void close() {
        source.close(Duration.ZERO);
    }

    private InboundMessage next() throws InterruptedException {
        InboundMessage m = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("a message handed to the sink within %s", WAIT).isNotNull();
        return m;
    }

    private static DeadLetterEnvelope envelope(InboundMessage m) {
        return DeadLetterEnvelope.builder().reasonCode("BAD").reason("bad").coordinates(m.coordinates())
                .lastFailureAt(Instant.now()).build();
    }

    @Nested
    @DisplayName("Health")
    class Health {

        @Test
        @DisplayName("failed connection attempts keep CONNECTING since the start, with the last error as detail")
        void connectingKeepsItsSince() {
            source.connectsAtStart = false;
            source.start(received::add);
            Instant since = source.health().since();
            source.attemptFailed("host=h: refused");
            source.attemptFailed("host=h: timed out");
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTING);
            assertThat(source.health().since()).isEqualTo(since);
            assertThat(source.health().detail()).isEqualTo("host=h: timed out");
        }

        @Test
        @DisplayName("a failed attempt after a connection it had is DISCONNECTED since then, kept by the next attempts")
        void disconnectedKeepsItsSince() throws Exception {
            source.start(received::add);
            Instant connectedSince = source.health().since();
            await().atMost(WAIT).until(() -> Instant.now().isAfter(connectedSince));
            source.attemptFailed("lost");
            SourceHealth lost = source.health();
            assertThat(lost.state()).isEqualTo(SourceHealth.State.DISCONNECTED);
            assertThat(lost.since()).isAfter(connectedSince);
            source.attemptFailed("still lost");
            assertThat(source.health().since()).isEqualTo(lost.since());
            source.connected();
            assertThat(source.health().isConnected()).isTrue();
        }

        @Test
        @DisplayName("missing destinations show in health, whatever the state, until reported empty, and not once closed")
        void missingDestinations() {
            source.start(received::add);
            assertThat(source.health().missingDestinations()).isEmpty();
            source.missing(List.of("usage"));
            assertThat(source.health().missingDestinations()).containsExactly("usage");
            assertThat(source.health().toString()).contains("missing destinations [usage]").contains("lag unknown");
            source.attemptFailed("lost");
            assertThat(source.health().missingDestinations()).containsExactly("usage");
            source.missing(List.of());
            assertThat(source.health().missingDestinations()).isEmpty();
            source.missing(List.of("usage"));
            source.close(Duration.ZERO);
            assertThat(source.health().missingDestinations()).isEmpty();
        }
    }

    @Nested
    @DisplayName("Life cycle")
    class LifeCycle {

        @Test
        @DisplayName("a second start throws and does not start consuming again")
        void startOnce() {
            source.start(received::add);
            assertThatThrownBy(() -> source.start(received::add)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already started");
            assertThat(source.starts).hasValue(1);
        }

        @Test
        @DisplayName("start after close throws and does not start consuming")
        void startAfterClose() {
            source.close(Duration.ZERO);
            assertThatThrownBy(() -> source.start(received::add)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is closed");
            assertThat(source.starts).hasValue(0);
        }

        @Test
        @DisplayName("health goes from not started to what the adapter reports to closed, and stays closed")
        void health() {
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.NOT_STARTED);
            source.start(received::add);
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);
            source.close(Duration.ZERO);
            source.reportHealth(SourceHealth.State.DISCONNECTED, "a late connection callback");
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CLOSED);
        }

        @Test
        @DisplayName("a start the adapter cannot do is rethrown and shown in health")
        void startFailure() {
            source.startFailure = new IllegalStateException("credentials refused: check username");
            assertThatThrownBy(() -> source.start(received::add)).hasMessageContaining("credentials refused");
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.DISCONNECTED);
            assertThat(source.health().detail()).contains("credentials refused");
        }

        @Test
        @DisplayName("a second close does nothing")
        void closeOnce() {
            source.start(received::add);
            source.close(Duration.ZERO);
            source.close(Duration.ZERO);
            assertThat(source.released).hasSize(1);
        }
    }

    @Nested
    @DisplayName("Settlement")
    class Settling {

        @Test
        @DisplayName("each kind of settlement reaches its own hook and the stage completes when the broker confirmed")
        void dispatch() throws Exception {
            source.start(received::add);
            source.deliver("1");
            source.deliver("2");
            source.deliver("3");
            next().ack().toCompletableFuture().get(1, TimeUnit.SECONDS);
            next().retryAfter(Duration.ofMillis(250)).toCompletableFuture().get(1, TimeUnit.SECONDS);
            InboundMessage third = next();
            third.deadLetter(envelope(third)).toCompletableFuture().get(1, TimeUnit.SECONDS);
            assertThat(source.calls).containsExactly("ack 1", "retry 2 after 250 ms", "dead-letter 3 BAD");
            assertThat(source.inFlightCount()).isZero();
        }

        @Test
        @DisplayName("a failed broker call fails the stage with its own cause and the message is no longer in flight")
        void failedSettlement() throws Exception {
            source.start(received::add);
            source.deliver("1");
            InboundMessage m = next();
            source.nextOutcome = CompletableFuture.failedFuture(new IOException("dead-letter copy not confirmed"));
            assertThat(m.ack().toCompletableFuture()).failsWithin(WAIT)
                    .withThrowableOfType(ExecutionException.class).withCauseInstanceOf(IOException.class);
            assertThat(source.inFlightCount()).isZero();
        }

        @Test
        @DisplayName("settling after close fails without calling the broker")
        void settleAfterClose() throws Exception {
            source.start(received::add);
            source.deliver("1");
            InboundMessage m = next();
            source.close(Duration.ZERO);
            assertThat(m.ack().toCompletableFuture()).failsWithin(WAIT);
            assertThat(source.calls).isEmpty();
            assertThat(source.released).containsExactly(List.of("1"));
        }

        @Test
        @DisplayName("a message the broker took back cannot be settled any more and is not waited for")
        void returnedToBroker() throws Exception {
            source.start(received::add);
            source.deliver("1");
            InboundMessage m = next();
            source.returnedToBroker("1");
            assertThat(m.ack().toCompletableFuture()).failsWithin(WAIT);
            assertThat(source.calls).isEmpty();
            assertThat(source.inFlightCount()).isZero();
        }
    }

    @Nested
    @DisplayName("Close")
    class Closing {

        @Test
        @DisplayName("close waits for a settlement in progress, which goes through, and then releases nothing unsettled")
        void closeWaitsForSettlement() throws Exception {
            source.start(received::add);
            source.deliver("1");
            InboundMessage m = next();
            CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> source.close(WAIT));
            await().atMost(WAIT).until(source::isClosing);
            assertThat(closed).isNotDone();
            m.ack().toCompletableFuture().get(1, TimeUnit.SECONDS);
            closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(source.calls).containsExactly("ack 1");
            assertThat(source.released).containsExactly(List.of());
        }

        @Test
        @DisplayName("close stops waiting at its timeout and hands the unsettled deliveries to the adapter")
        void closeTimesOut() throws Exception {
            source.start(received::add);
            source.deliver("1");
            source.deliver("2");
            next().ack();
            long started = System.nanoTime();
            source.close(Duration.ofMillis(200));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(150);
            assertThat(source.released).containsExactly(List.of("2"));
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CLOSED);
            // the wait ends within a millisecond of the deadline
            assertThat(source.leftAtRelease).as("next to nothing left of a timeout spent waiting")
                    .isLessThan(Duration.ofMillis(50));
        }

        @Test
        @DisplayName("release is told how much of the close timeout the wait left, for the adapter's last steps")
        void remainingCloseTime() {
            assertThat(source.remainingCloseTime()).as("before close").isZero();
            source.start(received::add);
            source.close(Duration.ofSeconds(30));
            assertThat(source.leftAtRelease).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30))
                    .isGreaterThan(Duration.ofSeconds(20));
        }
    }

    @Nested
    @DisplayName("When the sink throws")
    class SinkThrows {

        @Test
        @DisplayName("the message is handed over again after the redelivery delay, one attempt higher, and can be settled")
        void refusedIsRedelivered() throws Exception {
            AtomicInteger refusals = new AtomicInteger();
            source.start(m -> {
                if (refusals.getAndIncrement() == 0) {
                    throw new IllegalStateException("a bug in the sink");
                }
                received.add(m);
            });
            source.deliver("1");
            assertThat(source.inFlightCount()).as("a refused message is not in flight").isZero();
            InboundMessage again = next();
            assertThat(again.payloadAsString()).isEqualTo("1");
            assertThat(again.deliveryAttempt()).isEqualTo(2);
            again.ack().toCompletableFuture().get(1, TimeUnit.SECONDS);
            assertThat(source.calls).containsExactly("ack 1");
        }

        @Test
        @DisplayName("a refused message is held, not in flight, until it is handed over again")
        void refusedIsHeld() throws Exception {
            AtomicInteger refusals = new AtomicInteger();
            source.start(m -> {
                if (refusals.getAndIncrement() == 0) {
                    throw new IllegalStateException("a bug in the sink");
                }
                received.add(m);
            });
            source.pause();
            source.deliver("1");
            assertThat(source.isHeld("1")).as("held while paused").isTrue();
            assertThat(source.isHeld("2")).as("never delivered").isFalse();
            source.resume();
            next();
            assertThat(source.isHeld("1")).as("in flight again").isFalse();
        }

        @Test
        @DisplayName("a paused source keeps a refused message until it resumes")
        void pausedKeepsIt() throws Exception {
            AtomicInteger refusals = new AtomicInteger();
            source.start(m -> {
                if (refusals.getAndIncrement() == 0) {
                    throw new IllegalStateException("a bug in the sink");
                }
                received.add(m);
            });
            source.pause();
            source.deliver("1");
            await("nothing while paused").during(Duration.ofMillis(300)).atMost(WAIT).until(received::isEmpty);
            source.resume();
            assertThat(next().payloadAsString()).isEqualTo("1");
        }

        @Test
        @DisplayName("close does not wait for a refused message and returns it to the broker")
        void closeReturnsRefused() {
            source.start(m -> {
                throw new IllegalStateException("a bug in the sink");
            });
            source.pause(); // keeps it held
            source.deliver("1");
            long started = System.nanoTime();
            source.close(WAIT);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(WAIT.toMillis() / 2);
            assertThat(source.released).containsExactly(List.of("1"));
        }
    }

    @Test
    @DisplayName("describe names an exception and the causes it does not already repeat")
    void describe() {
        Exception e = new IllegalStateException("cannot consume",
                new IOException("connection refused", new RuntimeException("connection refused")));
        assertThat(AbstractBrokerSource.describe(e))
                .isEqualTo("IllegalStateException: cannot consume (IOException: connection refused)");
        assertThat(AbstractBrokerSource.describe(new java.util.concurrent.CompletionException(new IOException("x"))))
                .isEqualTo("IOException: x");
    }
}
