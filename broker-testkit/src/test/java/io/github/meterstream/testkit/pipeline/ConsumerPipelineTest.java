package io.github.meterstream.testkit.pipeline;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.failure.FailurePolicy;
import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.core.event.MessageEvent;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.pipeline.internal.ManualTime;
import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import io.github.meterstream.testkit.InMemoryBrokerSourceFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@DisplayName("ConsumerPipeline")
class ConsumerPipelineTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String QUEUE = "events";

    private final InMemoryBroker broker = new InMemoryBroker();
    private final List<ConsumerPipeline<?>> pipelines = new CopyOnWriteArrayList<>();
    private final Set<String> handled = ConcurrentHashMap.newKeySet();
    private final AtomicInteger handlerCalls = new AtomicInteger();
    /** The pipelines' time: retries, probes and lease renewals wait for the test to move it. */
    private final ManualTime time = new ManualTime();

    @AfterEach
    void close() {
        pipelines.forEach(p -> p.close(Duration.ofSeconds(5)));
        broker.close();
    }

    private ConsumerPipeline<TestEvent> start(MessageHandler<TestEvent> handler, PipelineConfig config, PipelineListener listener) {
        BrokerSource source = new InMemoryBrokerSource("test", broker, QUEUE);
        ConsumerPipeline<TestEvent> p = ConsumerPipeline.builder(new TestEvent.Contract())
                .source(source).handler(handler).config(config).listener(listener).timeSource(time).build();
        pipelines.add(p);
        p.start();
        return p;
    }

    private MessageHandler<TestEvent> recording() {
        return (m, ctx) -> {
            handlerCalls.incrementAndGet();
            handled.add(m.id);
            return MessageHandler.Outcome.PROCESSED;
        };
    }

    private static PipelineConfig fastRetries() {
        return PipelineConfig.builder().retryInitialDelay(Duration.ofMillis(5)).retryMaxDelay(Duration.ofMillis(50))
                .circuitOpenDuration(Duration.ofMillis(50)).circuitMaxOpenDuration(Duration.ofMillis(200)).build();
    }

    /**
     * Moves the pipeline's clock from one scheduled retry or probe to the next until {@code done}:
     * backoffs and circuit waits take no real time, however long they are configured. (Hand-backs
     * to the in-memory broker still wait their delay in real time: the broker keeps its own.)
     */
    private void advanceUntil(Callable<Boolean> done) {
        await().atMost(DEADLINE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> {
            if (done.call()) {
                return true;
            }
            time.advanceToNextTask();
            return false;
        });
    }

    private Duration elapsedSince(Instant start) {
        return Duration.between(start, time.now());
    }

    private List<InMemoryBroker.StoredMessage> deadLetters() {
        return broker.peek(QUEUE + ".dlq");
    }

    @Nested
    @DisplayName("Poison messages")
    class Poison {

        @Test
        @DisplayName("a poison message is dead-lettered with a readable reason and the messages behind it are processed")
        void poisonDoesNotBlock() {
            broker.publish(QUEUE, TestEvent.json("a", "k", 1));
            broker.publish(QUEUE, "{\"id\":\"b\",\"key\":\"k\",\"value\":");
            broker.publish(QUEUE, TestEvent.json("c", "k", -5));
            broker.publish(QUEUE, TestEvent.json("d", "k", 4));
            ConsumerPipeline<TestEvent> p = start(recording(), PipelineConfig.defaults(), null);

            await().atMost(DEADLINE).until(() -> handled.containsAll(Set.of("a", "d")) && deadLetters().size() == 2);
            assertThat(handled).containsExactlyInAnyOrder("a", "d");
            Map<String, String> malformed = deadLetters().get(0).headers();
            assertThat(malformed.get(DeadLetterEnvelope.REASON_CODE)).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD);
            assertThat(malformed.get(DeadLetterEnvelope.REASON)).startsWith("not a test event: Unexpected end-of-input");
            Map<String, String> invalid = deadLetters().get(1).headers();
            assertThat(invalid).containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.INVALID_MESSAGE)
                    .containsEntry(DeadLetterEnvelope.REASON, "value: must not be negative")
                    .containsEntry(DeadLetterEnvelope.TRACKING_ID, "c")
                    .containsEntry(DeadLetterEnvelope.TENANT, "t");
            await().atMost(DEADLINE).until(() -> p.stats().deadLettered() == 2 && p.stats().processed() == 2);
        }

        @Test
        @DisplayName("a payload over the size limit is dead-lettered without being parsed")
        void tooLarge() {
            broker.publish(QUEUE, TestEvent.json("big", "k", 1) + " ".repeat(2000));
            start(recording(), PipelineConfig.builder().maxPayloadBytes(1000).build(), null);
            await().atMost(DEADLINE).until(() -> deadLetters().size() == 1);
            assertThat(deadLetters().get(0).headers().get(DeadLetterEnvelope.REASON))
                    .contains("limit is 1000 (max-payload-bytes)");
        }

        @Test
        @DisplayName("an unexpected handler exception is retried, then dead-lettered as HANDLER_ERROR")
        void unclassified() {
            broker.publish(QUEUE, TestEvent.json("npe", "k", 1));
            PipelineConfig config = PipelineConfig.builder().retryInitialDelay(Duration.ofMillis(5))
                    .retryMaxDelay(Duration.ofMillis(20)).unclassifiedMaxAttempts(3).retryInProcessAttempts(5)
                    .circuitFailureThreshold(50).build();
            start((m, ctx) -> {
                handlerCalls.incrementAndGet();
                throw new NullPointerException("bug in handler");
            }, config, null);
            advanceUntil(() -> deadLetters().size() == 1);
            assertThat(handlerCalls).hasValue(3);
            assertThat(deadLetters().get(0).headers())
                    .containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.HANDLER_ERROR)
                    .containsEntry(DeadLetterEnvelope.ATTEMPTS, "3")
                    .containsEntry(DeadLetterEnvelope.EXCEPTION_CLASS, NullPointerException.class.getName());
        }

        @Test
        @DisplayName("under fail-stop a permanent failure stops consumption and leaves the message in the broker")
        void failStop() {
            broker.publish(QUEUE, TestEvent.json("bad", "k", -1));
            broker.publish(QUEUE, TestEvent.json("next", "k", 1));
            ConsumerPipeline<TestEvent> p = start(recording(),
                    PipelineConfig.builder().failurePolicy(FailurePolicy.FAIL_STOP).build(), null);
            await().atMost(DEADLINE).until(() -> p.state() == ConsumerPipeline.State.FAILED);
            p.close(Duration.ofSeconds(1));
            assertThat(deadLetters()).isEmpty();
            assertThat(broker.peek(QUEUE)).extracting(m -> new String(m.payload())).first().asString().contains("\"bad\"");
        }
    }

    @Nested
    @DisplayName("Transient failures")
    class Transient {

        @Test
        @DisplayName("a storm of transient failures pauses consumption, dead-letters nothing, and everything is processed after recovery")
        void stormPausesThenRecovers() {
            int n = 300;
            for (int i = 0; i < n; i++) {
                broker.publish(QUEUE, TestEvent.json("m" + i, "key" + (i % 50), i));
            }
            AtomicBoolean down = new AtomicBoolean(true);
            List<String> paused = new CopyOnWriteArrayList<>();
            PipelineListener listener = new PipelineListener() {
                @Override
                public void onPaused(String source, String reason) {
                    paused.add(reason);
                }
            };
            ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
                if (down.get()) {
                    throw new TransientFailure("Kill Bill is down", new java.net.ConnectException("refused"));
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.builder().maxInFlight(100).retryInitialDelay(Duration.ofMillis(5))
                    .retryMaxDelay(Duration.ofMillis(50)).circuitOpenDuration(Duration.ofMillis(100))
                    .circuitMaxOpenDuration(Duration.ofMillis(400)).build(), listener);

            await().atMost(DEADLINE).until(() -> p.state() == ConsumerPipeline.State.CIRCUIT_OPEN);
            assertThat(paused).anyMatch(r -> r.startsWith("circuit open"));
            // Consumption is paused: the in-flight bound is never exceeded and the rest stays in the broker.
            await().during(Duration.ofMillis(500)).atMost(DEADLINE).until(() ->
                    p.stats().inFlight() <= 100 && broker.depth(QUEUE) >= n - 100 - 1 && deadLetters().isEmpty());

            assertThat(p.state()).as("no probe before its time").isEqualTo(ConsumerPipeline.State.CIRCUIT_OPEN);
            down.set(false);
            advanceUntil(() -> handled.size() == n);
            advanceUntil(() -> p.state() == ConsumerPipeline.State.RUNNING && p.stats().oldestUnsettledSince() == null);
            assertThat(deadLetters()).isEmpty();
            assertThat(p.stats().deadLettered()).isZero();
            assertThat(p.stats().retried()).isPositive();
        }

        @Test
        @DisplayName("a held message (its tenant's rules unusable) does not open the circuit: other keys flow, it waits and is"
                + " never dead-lettered")
        void heldMessageDoesNotPauseOthers() {
            for (int i = 0; i < 5; i++) {
                broker.publish(QUEUE, TestEvent.json("held-" + i, "held-tenant", 1));
            }
            for (int i = 0; i < 50; i++) {
                broker.publish(QUEUE, TestEvent.json("ok-" + i, "k" + i, 1));
            }
            AtomicBoolean released = new AtomicBoolean();
            List<String> pauses = new CopyOnWriteArrayList<>();
            ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
                if (m.key.equals("held-tenant") && !released.get()) {
                    throw new HeldFailure("TENANT_RULES_UNUSABLE", "tenant rules unusable (test)", "t", m.id, null);
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, fastRetries(), new PipelineListener() {
                @Override
                public void onPaused(String source, String reason) {
                    pauses.add(reason);
                }
            });
            await().atMost(DEADLINE).until(() -> handled.size() == 50);
            advanceUntil(() -> p.stats().retried() >= 20);
            assertThat(pauses).noneMatch(r -> r.startsWith("circuit"));
            released.set(true);
            advanceUntil(() -> handled.size() == 55);
            assertThat(deadLetters()).isEmpty();
        }

        @Test
        @DisplayName("an isolated transient failure is retried in the pipeline and succeeds")
        void isolatedRetry() {
            broker.publish(QUEUE, TestEvent.json("flaky", "k", 1));
            AtomicInteger calls = new AtomicInteger();
            Instant start = time.now();
            start((m, ctx) -> {
                if (calls.incrementAndGet() < 3) {
                    throw new TransientFailure("timeout", null);
                }
                handled.add(m.id);
                assertThat(ctx.pipelineAttempt()).isEqualTo(3);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.builder().retryInitialDelay(Duration.ofSeconds(5)).retryMaxDelay(Duration.ofSeconds(20))
                    .retryJitter(0.0).retryInProcessAttempts(5).build(), null);
            advanceUntil(() -> handled.contains("flaky"));
            assertThat(calls).hasValue(3);
            assertThat(elapsedSince(start)).as("the two retries waited their backoff, 5 s then 10 s")
                    .isEqualTo(Duration.ofSeconds(15));
        }

        @Test
        @DisplayName("after its in-process attempts a transiently failing message is handed back to the broker and comes back later")
        void handedBackToBroker() {
            broker.publish(QUEUE, TestEvent.json("slow", "k", 1));
            List<Integer> deliveryAttempts = new CopyOnWriteArrayList<>();
            start((m, ctx) -> {
                deliveryAttempts.add(ctx.deliveryAttempt());
                if (ctx.deliveryAttempt() == 1) {
                    throw new TransientFailure("not yet", null);
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.builder().retryInitialDelay(Duration.ofMillis(5)).retryMaxDelay(Duration.ofMillis(20))
                    .retryInProcessAttempts(2).circuitFailureThreshold(50).build(), null);
            advanceUntil(() -> handled.contains("slow"));
            assertThat(deliveryAttempts).containsExactly(1, 1, 2);
            assertThat(deadLetters()).isEmpty();
        }
    }

    @Nested
    @DisplayName("Retry accounting over the message's whole history")
    class RetryAccounting {

        @Test
        @DisplayName("with the default settings a handler that always throws gets its message dead-lettered as HANDLER_ERROR"
                + " after unclassified-failure.max-attempts runs")
        void unclassifiedLimitIsReachedWithDefaults() {
            broker.publish(QUEUE, TestEvent.json("bug", "k", 1));
            Instant start = time.now();
            start((m, ctx) -> {
                handlerCalls.incrementAndGet();
                throw new IllegalStateException("bug in handler");
            }, PipelineConfig.defaults(), null);
            advanceUntil(() -> deadLetters().size() == 1);
            assertThat(handlerCalls).hasValue(PipelineConfig.DEFAULT_UNCLASSIFIED_MAX_ATTEMPTS);
            // four retries at the default backoff, 200 ms doubling, each shortened by at most 20 % jitter
            assertThat(elapsedSince(start)).isBetween(Duration.ofMillis(2400), Duration.ofMillis(3000));
            assertThat(deadLetters().get(0).headers())
                    .containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.HANDLER_ERROR);
        }

        @Test
        @DisplayName("the backoff keeps growing across hand-backs to the broker until retry.max-delay")
        void backoffGrowsAcrossDeliveries() {
            broker.publish(QUEUE, TestEvent.json("down", "k", 1));
            List<Duration> delays = new CopyOnWriteArrayList<>();
            start((m, ctx) -> {
                throw new TransientFailure("still down", null);
            }, PipelineConfig.builder().retryInitialDelay(Duration.ofMillis(10)).retryMultiplier(2.0)
                    .retryMaxDelay(Duration.ofMillis(160)).retryJitter(0.0).retryInProcessAttempts(2)
                    .circuitFailureThreshold(1000).build(), new PipelineListener() {
                        @Override
                        public void onRetried(MessageEvent event, Duration delay, Throwable cause) {
                            delays.add(delay);
                        }
                    });
            advanceUntil(() -> delays.size() >= 8);
            assertThat(delays.subList(0, 8)).extracting(Duration::toMillis)
                    .containsExactly(10L, 20L, 40L, 80L, 160L, 160L, 160L, 160L);
            assertThat(deadLetters()).isEmpty();
        }

        @Test
        @DisplayName("runs parked by an open circuit do not count: after a long outage one unexpected error is retried,"
                + " not dead-lettered")
        void outageRunsDoNotCount() {
            broker.publish(QUEUE, TestEvent.json("late", "k", 1));
            AtomicBoolean blipped = new AtomicBoolean();
            start((m, ctx) -> {
                if (handlerCalls.incrementAndGet() <= 15) {
                    throw new TransientFailure("downstream down", null);
                }
                if (blipped.compareAndSet(false, true)) {
                    throw new IllegalStateException("one blip");
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, fastRetries(), null);
            advanceUntil(() -> handled.contains("late") || !deadLetters().isEmpty());
            assertThat(deadLetters()).isEmpty();
            assertThat(handled).containsExactly("late");
        }

        @Test
        @DisplayName("a handler throwing an Error outside the usual set (StackOverflowError) does not kill its lane")
        void errorDoesNotKillTheLane() {
            broker.publish(QUEUE, TestEvent.json("deep", "k", 1));
            broker.publish(QUEUE, TestEvent.json("next", "k", 2));
            start((m, ctx) -> {
                if (m.id.equals("deep")) {
                    throw new StackOverflowError("recursion in handler");
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, fastRetries(), null);
            advanceUntil(() -> handled.contains("next") && deadLetters().size() == 1);
            assertThat(deadLetters().get(0).headers())
                    .containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.HANDLER_ERROR)
                    .containsEntry(DeadLetterEnvelope.EXCEPTION_CLASS, StackOverflowError.class.getName());
        }

        @Test
        @DisplayName("the handler is told whether an earlier attempt at the message may have reached its downstream")
        void handlerKnowsWhetherAnEarlierAttemptMayHaveWritten() {
            broker.publish(QUEUE, TestEvent.json("once", "k", 1));
            List<Boolean> seen = new CopyOnWriteArrayList<>();
            start((m, ctx) -> {
                seen.add(ctx.earlierAttemptMayHaveWritten());
                if (seen.size() == 1) {
                    throw new TransientFailure("timeout: the write may or may not have happened", null);
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, fastRetries(), null);
            advanceUntil(() -> handled.contains("once"));
            assertThat(seen).containsExactly(false, true);
        }
    }

    @Nested
    @DisplayName("Idempotency")
    class Idempotency {

        @Test
        @DisplayName("a duplicate is acknowledged without reaching the handler")
        void duplicate() {
            broker.publish(QUEUE, TestEvent.json("once", "k", 1));
            broker.publish(QUEUE, TestEvent.json("once", "k", 1));
            broker.publish(QUEUE, TestEvent.json("after", "k", 2));
            ConsumerPipeline<TestEvent> p = start(recording(), PipelineConfig.defaults(), null);
            await().atMost(DEADLINE).until(() -> handled.contains("after") && p.stats().duplicates() == 1);
            assertThat(handlerCalls).hasValue(2);
            assertThat(broker.depth(QUEUE)).isZero();
        }

        @Test
        @DisplayName("a tracking id reused for different content is dead-lettered as a conflict, not dropped")
        void conflict() {
            broker.publish(QUEUE, TestEvent.json("trk", "k", 1));
            broker.publish(QUEUE, TestEvent.json("trk", "k", 999));
            start(recording(), PipelineConfig.defaults(), null);
            await().atMost(DEADLINE).until(() -> deadLetters().size() == 1);
            Map<String, String> h = deadLetters().get(0).headers();
            assertThat(h).containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.IDEMPOTENCY_CONFLICT)
                    .containsEntry(DeadLetterEnvelope.TRACKING_ID, "trk");
            assertThat(h.get(DeadLetterEnvelope.REASON)).contains("publish it with a new tracking id");
            assertThat(handlerCalls).hasValue(1);
        }

        @Test
        @DisplayName("a message whose processing failed permanently can be resubmitted once fixed")
        void resubmitAfterPermanentFailure() {
            AtomicBoolean reject = new AtomicBoolean(true);
            broker.publish(QUEUE, TestEvent.json("fixme", "k", 1));
            start((m, ctx) -> {
                if (reject.getAndSet(false)) {
                    throw new PermanentFailure("UNKNOWN_SUBSCRIPTION", "no such subscription yet");
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.defaults(), null);
            await().atMost(DEADLINE).until(() -> deadLetters().size() == 1);
            broker.publish(QUEUE, TestEvent.json("fixme", "k", 1));
            await().atMost(DEADLINE).until(() -> handled.contains("fixme"));
        }

        @Test
        @DisplayName("a handler reporting the downstream already had it counts a duplicate")
        void alreadyProcessed() {
            broker.publish(QUEUE, TestEvent.json("known", "k", 1));
            ConsumerPipeline<TestEvent> p = start((m, ctx) -> MessageHandler.Outcome.ALREADY_PROCESSED,
                    PipelineConfig.defaults(), null);
            await().atMost(DEADLINE).until(() -> p.stats().duplicates() == 1);
            assertThat(p.stats().processed()).isZero();
        }
    }

    @Nested
    @DisplayName("Workers")
    class Workers {

        @Test
        @DisplayName("messages of different keys all run at once, up to concurrency, even when each handler waits for the others")
        void everyWorkerRunsWhenHandlersWaitForEachOther() {
            int concurrency = 6;
            for (int i = 0; i < concurrency; i++) {
                broker.publish(QUEUE, TestEvent.json("m" + i, "key" + i, i));
            }
            CountDownLatch allRunning = new CountDownLatch(concurrency);
            AtomicInteger timedOut = new AtomicInteger();
            start((m, ctx) -> {
                allRunning.countDown();
                if (!allRunning.await(20, TimeUnit.SECONDS)) {
                    timedOut.incrementAndGet();
                }
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.builder().concurrency(concurrency).build(), null);
            await().atMost(DEADLINE).until(() -> handled.size() == concurrency);
            assertThat(timedOut).hasValue(0);
        }

        @Test
        @DisplayName("a burst over many keys is handled exactly once each, in order within every key")
        void burstKeepsOrderPerKey() {
            int keys = 50;
            int perKey = 40;
            for (int i = 0; i < perKey; i++) {
                for (int k = 0; k < keys; k++) {
                    broker.publish(QUEUE, TestEvent.json("m" + k + "-" + i, "key" + k, i));
                }
            }
            Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
            ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
                seen.computeIfAbsent(m.key, k -> new CopyOnWriteArrayList<>()).add(m.value);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.builder().concurrency(4).build(), null);
            await().atMost(DEADLINE).until(() -> p.stats().processed() == (long) keys * perKey && p.stats().oldestUnsettledSince() == null);
            assertThat(seen).hasSize(keys);
            List<Integer> inOrder = java.util.stream.IntStream.range(0, perKey).boxed().collect(java.util.stream.Collectors.toList());
            seen.values().forEach(values -> assertThat(values).isEqualTo(inOrder));
        }

        @Test
        @DisplayName("closing lets a running handler finish and ends every worker thread")
        void closeEndsWorkers() throws Exception {
            broker.publish(QUEUE, TestEvent.json("m1", "k1", 1));
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean finished = new AtomicBoolean();
            List<Thread> worker = new CopyOnWriteArrayList<>();
            ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
                worker.add(Thread.currentThread());
                running.countDown();
                release.await(20, TimeUnit.SECONDS);
                finished.set(true);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.defaults(), null);
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            Thread closer = new Thread(() -> p.close(Duration.ofSeconds(20)));
            closer.start();
            await().atMost(DEADLINE).until(() -> p.state() == ConsumerPipeline.State.CLOSED);
            release.countDown();
            closer.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(closer.isAlive()).isFalse();
            assertThat(finished).isTrue();
            worker.get(0).join(TimeUnit.SECONDS.toMillis(30));
            assertThat(worker.get(0).isAlive()).isFalse();
        }
    }

    @Nested
    @DisplayName("Flow control")
    class FlowControl {

        @Test
        @DisplayName("at max-in-flight the source is paused instead of buffering, and resumed when work drains")
        void backPressure() throws Exception {
            int n = 200;
            for (int i = 0; i < n; i++) {
                broker.publish(QUEUE, TestEvent.json("m" + i, "key" + i, i));
            }
            CountDownLatch gate = new CountDownLatch(1);
            ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
                gate.await(30, TimeUnit.SECONDS);
                handled.add(m.id);
                return MessageHandler.Outcome.PROCESSED;
            }, PipelineConfig.builder().maxInFlight(20).concurrency(4).build(), null);
            await().atMost(DEADLINE).until(() -> p.state() == ConsumerPipeline.State.BACKPRESSURE);
            // The source may hand over one message already under way when it is paused.
            await().during(Duration.ofMillis(300)).atMost(DEADLINE).until(() -> p.stats().inFlight() <= 21);
            assertThat(broker.depth(QUEUE)).isGreaterThanOrEqualTo(n - 21);
            gate.countDown();
            await().atMost(DEADLINE).until(() -> handled.size() == n);
        }

        @Test
        @DisplayName("listeners hear received, processed, duplicate and dead-lettered outcomes")
        void listenerEvents() {
            Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
            PipelineListener listener = new PipelineListener() {
                void count(String what) {
                    counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
                }

                @Override
                public void onReceived(io.github.meterstream.core.source.SourceCoordinates c) {
                    count("received");
                }

                @Override
                public void onProcessed(MessageEvent e) {
                    count("processed");
                }

                @Override
                public void onDuplicate(MessageEvent e) {
                    count("duplicate");
                }

                @Override
                public void onDeadLettered(MessageEvent e, DeadLetterEnvelope env) {
                    count("dead-lettered");
                }
            };
            broker.publish(QUEUE, TestEvent.json("x", "k", 1));
            broker.publish(QUEUE, TestEvent.json("x", "k", 1));
            broker.publish(QUEUE, "not json");
            start(recording(), PipelineConfig.defaults(), listener);
            await().atMost(DEADLINE).until(() -> counts.containsKey("dead-lettered") && counts.containsKey("duplicate"));
            assertThat(counts.get("received")).hasValue(3);
            assertThat(counts.get("processed")).hasValue(1);
        }

        @Test
        @DisplayName("closing returns messages waiting for a retry to the broker")
        void closeReturnsWaiting() {
            broker.publish(QUEUE, TestEvent.json("waiting", "k", 1));
            ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
                throw new TransientFailure("down", null);
            }, PipelineConfig.builder().retryInitialDelay(Duration.ofSeconds(20)).retryMaxDelay(Duration.ofSeconds(20)).build(), null);
            await().atMost(DEADLINE).until(() -> p.stats().retried() == 1 && time.pendingDelays().size() == 1);
            p.close(Duration.ofSeconds(2));
            assertThat(broker.peek(QUEUE)).hasSize(1);
            assertThat(deadLetters()).isEmpty();
        }
    }

    @Nested
    @DisplayName("Configuration")
    class Configuration {

        private final BrokerSourceFactories factories = BrokerSourceFactories.of(new InMemoryBrokerSourceFactory());
        private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";

        @Test
        @DisplayName("a missing required key fails at start naming the key")
        void missingKey() {
            assertThatThrownBy(() -> factories.create("usage", ConfigValues.of(PREFIX, Map.of("type", "in-memory")), List.of("pipeline")))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage(PREFIX + "queue: is required (Queue to consume.)");
        }

        @Test
        @DisplayName("an unknown source type fails listing the known ones")
        void unknownType() {
            assertThatThrownBy(() -> factories.create("usage", ConfigValues.of(PREFIX, Map.of("type", "kafak")), List.of()))
                    .hasMessage(PREFIX + "type: unknown source type 'kafak'; known types: in-memory");
        }

        @Test
        @DisplayName("a misspelt adapter key fails instead of being ignored")
        void misspelt() {
            assertThatThrownBy(() -> factories.create("usage",
                    ConfigValues.of(PREFIX, Map.of("type", "in-memory", "queue", "q", "dead-leter-queue", "x")), List.of("pipeline")))
                    .hasMessageStartingWith(PREFIX + "dead-leter-queue: is not a known key");
        }

        @Test
        @DisplayName("a valid section builds a working source, discoverable through the service loader")
        void discovered() {
            BrokerSourceFactories discovered = BrokerSourceFactories.discover(getClass().getClassLoader());
            assertThat(discovered.types()).contains("in-memory");
            BrokerSource s = discovered.create("usage", ConfigValues.of(PREFIX,
                    Map.of("type", "in-memory", "queue", "q", "pipeline.max-in-flight", "5")), List.of("pipeline"));
            assertThat(s.name()).isEqualTo("usage");
            s.close(Duration.ZERO);
        }
    }
}
