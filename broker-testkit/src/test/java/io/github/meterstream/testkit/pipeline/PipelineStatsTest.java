package io.github.meterstream.testkit.pipeline;

import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.pipeline.PipelineStats;
import io.github.meterstream.core.pipeline.internal.ManualTime;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What {@link PipelineStats} promises an operator: counts that add up, and fields that say what waits and why. */
@DisplayName("PipelineStats")
class PipelineStatsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String QUEUE = "events";

    private final InMemoryBroker broker = new InMemoryBroker();
    /** Retries wait for the test to move this time; hand-backs to the in-memory broker wait in real time (ms here). */
    private final ManualTime time = new ManualTime();
    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(time.clock());
    private final Set<String> handled = ConcurrentHashMap.newKeySet();
    private ConsumerPipeline<TestEvent> pipeline;

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close(Duration.ofSeconds(5));
        }
        broker.close();
    }

    private ConsumerPipeline<TestEvent> start(MessageHandler<TestEvent> handler) {
        pipeline = ConsumerPipeline.builder(new TestEvent.Contract())
                .source(new InMemoryBrokerSource("stats", broker, QUEUE))
                .handler(handler)
                .idempotencyStore(store)
                .config(PipelineConfig.builder().retryInitialDelay(Duration.ofMillis(5)).retryMaxDelay(Duration.ofMillis(20))
                        .retryJitter(0.0).retryInProcessAttempts(2).circuitFailureThreshold(50).build())
                .timeSource(time)
                .build();
        pipeline.start();
        return pipeline;
    }

    private void advanceUntil(Callable<Boolean> done) {
        await().atMost(DEADLINE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> {
            if (done.call()) {
                return true;
            }
            time.advanceToNextTask();
            return false;
        });
    }

    private static void assertAddsUp(PipelineStats s) {
        assertThat(s.received()).as("received == processed + duplicates + deadLettered + released + inFlight"
                + " + heldForRetry + waitingOnClaim: %s", s).isEqualTo(s.processed() + s.duplicates() + s.deadLettered()
                + s.released() + s.inFlight() + s.heldForRetry() + s.waitingOnClaim());
        assertThat(s.accountedFor()).isEqualTo(s.received());
    }

    @Test
    @DisplayName("received adds up to processed, duplicates, dead letters, released, in flight, held for retry and waiting on"
            + " a claim, through retries, duplicates, a dead letter, a claim held by another node and a hand-back")
    void countsAddUp() {
        // another node holds the claim on "claimed" for an hour
        IdempotencyKey claimedKey = IdempotencyKey.of("t", "kc", "claimed");
        ClaimResult otherNode = store.claim(claimedKey, "1", Duration.ofHours(1));
        AtomicBoolean downstreamDown = new AtomicBoolean(true);
        Instant receivedAt = time.now();
        for (int i = 0; i < 5; i++) {
            broker.publish(QUEUE, TestEvent.json("ok-" + i, "k" + i, 1));
        }
        broker.publish(QUEUE, TestEvent.json("dup", "kd", 1));
        broker.publish(QUEUE, TestEvent.json("dup", "kd", 1));
        broker.publish(QUEUE, "{\"id\":\"poison\"");
        broker.publish(QUEUE, TestEvent.json("flaky", "kf", 1));
        broker.publish(QUEUE, TestEvent.json("claimed", "kc", 1));
        ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
            if (m.id.equals("flaky") && downstreamDown.get()) {
                throw new TransientFailure("Kill Bill is down (test)", null);
            }
            handled.add(m.id);
            return MessageHandler.Outcome.PROCESSED;
        });

        // time stands still: the failed run of "flaky" and the claimed message wait, everything else ended
        await().atMost(DEADLINE).until(() -> {
            PipelineStats s = p.stats();
            return s.processed() == 6 && s.duplicates() == 1 && s.deadLettered() == 1 && s.heldForRetry() == 1
                    && s.waitingOnClaim() == 1;
        });
        PipelineStats waiting = p.stats();
        assertThat(waiting.received()).isEqualTo(10);
        assertThat(waiting.inFlight()).as("held and waiting messages are not in flight").isZero();
        assertThat(waiting.released()).isZero();
        assertThat(waiting.lastError()).contains("Kill Bill is down (test)");
        assertThat(waiting.lastErrorAt()).isEqualTo(receivedAt);
        assertThat(waiting.oldestUnsettledSince()).isEqualTo(receivedAt);
        assertAddsUp(waiting);

        // the downstream is back: "flaky" completes and the last error is history
        time.advance(Duration.ofSeconds(1));
        downstreamDown.set(false);
        advanceUntil(() -> handled.contains("flaky") && p.stats().heldForRetry() == 0);
        await().atMost(DEADLINE).until(() -> p.stats().lastError() == null);
        PipelineStats recovered = p.stats();
        assertThat(recovered.lastErrorAt()).isNull();
        assertThat(recovered.processed()).isEqualTo(7);
        assertAddsUp(recovered);

        // the other node finishes: the claimed message ends as a duplicate, after being handed back meanwhile
        advanceUntil(() -> p.stats().released() >= 1);
        store.complete(claimedKey, otherNode.claimToken());
        advanceUntil(() -> p.stats().duplicates() == 2 && p.stats().waitingOnClaim() == 0 && p.stats().inFlight() == 0);
        PipelineStats done = p.stats();
        assertThat(handled).doesNotContain("claimed");
        assertThat(done.heldForRetry()).isZero();
        assertThat(done.oldestUnsettledSince()).as("nothing unsettled").isNull();
        assertThat(done.received()).as("each hand-back comes back as one more delivery")
                .isEqualTo(10 + done.released());
        assertAddsUp(done);
    }

    @Test
    @DisplayName("a held message is counted as held, not in flight, until it runs again; closing releases it")
    void closeReleasesHeld() {
        broker.publish(QUEUE, TestEvent.json("held", "k", 1));
        ConsumerPipeline<TestEvent> p = start((m, ctx) -> {
            throw new HeldFailure("TENANT_RULES_UNUSABLE", "tenant rules unusable (test)", "t", m.id, null);
        });
        await().atMost(DEADLINE).until(() -> p.stats().heldForRetry() == 1);
        assertThat(p.stats().inFlight()).isZero();
        assertThat(p.stats().lastError()).as("a held message is no failure of the downstream").isNull();
        assertAddsUp(p.stats());

        p.close(Duration.ofSeconds(5));
        PipelineStats closed = p.stats();
        assertThat(closed.heldForRetry()).isZero();
        assertThat(closed.released()).isEqualTo(1);
        assertThat(closed.oldestUnsettledSince()).isNull();
        assertAddsUp(closed);
        assertThat(broker.depth(QUEUE)).as("the broker has it back").isEqualTo(1);
    }
}
