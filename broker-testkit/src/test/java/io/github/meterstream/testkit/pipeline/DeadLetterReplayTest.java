package io.github.meterstream.testkit.pipeline;

import io.github.meterstream.core.deadletter.DeadLetterReplay;
import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.deadletter.RejectionQuery;
import io.github.meterstream.core.deadletter.ReplayReport;
import io.github.meterstream.core.deadletter.StoredRejection;
import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The loop an operator runs: messages are refused for a cause outside them (here, a flag standing for
 * a catalog without the unit), the cause is fixed, the stored rejections are replayed through a
 * pipeline built like the live one and processed once; a second replay processes nothing.
 */
@DisplayName("Replaying stored rejections")
class DeadLetterReplayTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String QUEUE = "events";

    private final InMemoryBroker broker = new InMemoryBroker();
    private final InMemoryIdempotencyStore idempotency = new InMemoryIdempotencyStore();
    private final JdbcDeadLetterStore store = store();
    private final List<ConsumerPipeline<?>> live = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
    private volatile boolean fixed;
    private volatile boolean downstreamDown;

    @AfterEach
    void close() {
        live.forEach(p -> p.close(Duration.ofSeconds(5)));
        broker.close();
    }

    private static JdbcDeadLetterStore store() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:replay-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        ds.setUser("sa");
        JdbcDeadLetterStore s = new JdbcDeadLetterStore(ds, "dead_letter", Clock.systemUTC(), 4096, 1000);
        s.createTableIfAbsent();
        return s;
    }

    /** The live pipeline and every replay pipeline are built here: same contract, handler, stores and config. */
    private ConsumerPipeline<TestEvent> pipeline(BrokerSource source, PipelineListener listener) {
        MessageHandler<TestEvent> handler = (m, ctx) -> {
            if (downstreamDown) {
                throw new TransientFailure("downstream down", null);
            }
            if (m.key.equals("needs-fix") && !fixed) {
                throw new PermanentFailure("NOT_CONFIGURED", "key " + m.key + " is not configured yet");
            }
            processed.computeIfAbsent(m.id, k -> new AtomicInteger()).incrementAndGet();
            return MessageHandler.Outcome.PROCESSED;
        };
        return ConsumerPipeline.builder(new TestEvent.Contract()).source(source).handler(handler).idempotencyStore(idempotency)
                .deadLetterStore(store).listener(listener)
                .config(PipelineConfig.builder().retryInitialDelay(Duration.ofMillis(5)).retryMaxDelay(Duration.ofMillis(20)).build())
                .build();
    }

    private DeadLetterReplay replay() {
        return new DeadLetterReplay(store, this::pipeline);
    }

    private void consumeLive(int expectedRejections) {
        ConsumerPipeline<TestEvent> p = pipeline(new InMemoryBrokerSource("live", broker, QUEUE), null);
        live.add(p);
        p.start();
        await().atMost(DEADLINE).until(() -> store.list(RejectionQuery.all()).size() == expectedRejections);
    }

    private static RejectionQuery open() {
        return RejectionQuery.builder().state(StoredRejection.State.REJECTED).build();
    }

    @Test
    @DisplayName("refused, fixed, replayed: processed once; replayed again: nothing processed")
    void fixAndReplay() {
        for (int i = 0; i < 3; i++) {
            broker.publish(QUEUE, TestEvent.json("x" + i, "needs-fix", i));
        }
        broker.publish(QUEUE, TestEvent.json("ok", "other", 1));
        consumeLive(3);
        assertThat(processed).containsOnlyKeys("ok");

        ReplayReport dry = replay().dryRun(open());
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.counts()).isEqualTo(Map.of(ReplayReport.Result.WOULD_REPLAY, 3));

        ReplayReport beforeFix = replay().replay(open(), "ops", DEADLINE);
        assertThat(beforeFix.counts()).isEqualTo(Map.of(ReplayReport.Result.REJECTED_AGAIN, 3));
        assertThat(beforeFix.entries().values()).allSatisfy(e -> assertThat(e.detail()).contains("NOT_CONFIGURED"));
        assertThat(store.list(open())).hasSize(3).allSatisfy(r -> assertThat(r.lastReplayOutcome())
                .isEqualTo(StoredRejection.ReplayOutcome.REJECTED_AGAIN));

        fixed = true;
        ReplayReport afterFix = replay().replay(open(), "ops", DEADLINE);
        assertThat(afterFix.counts()).isEqualTo(Map.of(ReplayReport.Result.RECORDED, 3));
        assertThat(processed).containsOnlyKeys("ok", "x0", "x1", "x2").allSatisfy((id, n) -> assertThat(n).hasValue(1));
        assertThat(store.list(open())).isEmpty();
        assertThat(store.list(RejectionQuery.all())).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo(StoredRejection.State.REPLAYED);
            assertThat(r.stateBy()).isEqualTo("ops");
        });

        List<String> all = store.list(RejectionQuery.all()).stream().map(StoredRejection::id).collect(java.util.stream.Collectors.toList());
        ReplayReport again = replay().replay(all, "ops", DEADLINE);
        assertThat(again.counts()).isEqualTo(Map.of(ReplayReport.Result.SKIPPED, 3));
        assertThat(processed.values()).allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(replay().replay(open(), "ops", DEADLINE).entries()).isEmpty();
    }

    @Test
    @DisplayName("a stored copy of a message processed since is acknowledged as a duplicate, not processed twice")
    void duplicate() {
        broker.publish(QUEUE, TestEvent.json("d1", "needs-fix", 1));
        consumeLive(1);
        String id = store.list(open()).get(0).id();
        fixed = true;
        broker.publish(QUEUE, TestEvent.json("d1", "needs-fix", 1)); // the producer sent it again, and it went through
        await().atMost(DEADLINE).until(() -> processed.containsKey("d1"));

        ReplayReport report = replay().replay(List.of(id), "ops", DEADLINE);
        assertThat(report.entries().get(id).result()).isEqualTo(ReplayReport.Result.DUPLICATE);
        assertThat(processed.get("d1")).hasValue(1);
        assertThat(store.find(id).orElseThrow().state()).isEqualTo(StoredRejection.State.REPLAYED);
    }

    @Test
    @DisplayName("a discarded entry is skipped; a downstream failing during the replay leaves the entry open")
    void skippedAndFailed() {
        broker.publish(QUEUE, TestEvent.json("s1", "needs-fix", 1));
        broker.publish(QUEUE, TestEvent.json("s2", "needs-fix", 2));
        consumeLive(2);
        List<StoredRejection> entries = store.list(open());
        String discarded = entries.get(0).id();
        String failing = entries.get(1).id();
        store.discard(discarded, "tenant-admin");
        fixed = true;
        downstreamDown = true;

        ReplayReport report = replay().replay(List.of(discarded, failing), "ops", Duration.ofSeconds(5));
        assertThat(report.entries().get(discarded).result()).isEqualTo(ReplayReport.Result.SKIPPED);
        assertThat(report.entries().get(discarded).detail()).contains("DISCARDED").contains("tenant-admin");
        assertThat(report.entries().get(failing).result()).isEqualTo(ReplayReport.Result.FAILED);
        assertThat(report.entries().get(failing).detail()).contains("downstream down");
        StoredRejection stillOpen = store.find(failing).orElseThrow();
        assertThat(stillOpen.state()).isEqualTo(StoredRejection.State.REJECTED);
        assertThat(stillOpen.lastReplayOutcome()).isEqualTo(StoredRejection.ReplayOutcome.FAILED);
        assertThat(processed).doesNotContainKeys("s1", "s2");
    }
}
