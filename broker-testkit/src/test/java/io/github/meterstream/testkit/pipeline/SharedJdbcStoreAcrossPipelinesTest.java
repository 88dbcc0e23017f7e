package io.github.meterstream.testkit.pipeline;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two pipelines, as two Kill Bill nodes would run them, share one JDBC idempotency store and are
 * each fed the same usage messages: every tracking id reaches a handler exactly once.
 */
abstract class SharedJdbcStoreAcrossPipelinesTest {

    private static final int MESSAGES = 1000;
    private static final int DUPLICATES = 100;

    private final InMemoryBroker broker = new InMemoryBroker();
    private final List<ConsumerPipeline<UsageMessage>> pipelines = new ArrayList<>();
    private final String table = "ms_shared_" + UUID.randomUUID().toString().substring(0, 8);

    protected abstract DataSource dataSource() throws Exception;

    @AfterEach
    void cleanUp() throws Exception {
        pipelines.forEach(p -> p.close(Duration.ofSeconds(5)));
        broker.close();
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
        }
        closeDataSource();
    }

    /** Releases what {@link #dataSource()} opened, after the table is dropped. */
    protected void closeDataSource() {
    }

    private static String usage(String trackingId, int subscription, int amount) {
        return "{\"tenantId\":\"5f0b8f5c-9d7e-4f0a-8f55-0c8d3c1d2a10\","
                + "\"subscriptionExternalKey\":\"sub-" + subscription + "\",\"trackingId\":\"" + trackingId + "\","
                + "\"unitUsageRecords\":[{\"unitType\":\"api-calls\",\"usageRecords\":"
                + "[{\"recordDate\":\"2026-11-20T10:15:00Z\",\"amount\":" + amount + "}]}]}";
    }

    @Test
    @DisplayName("two pipelines sharing the JDBC store, fed the same 1,000 messages with 10% duplicates, hand each tracking id to the handler once")
    void eachTrackingIdHandledOnce() throws Exception {
        JdbcIdempotencyStore store = new JdbcIdempotencyStore(dataSource(), table, Clock.systemUTC(), "test");
        store.createTableIfAbsent();

        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < MESSAGES - DUPLICATES; i++) {
            payloads.add(usage("trk-" + i, i % 40, i + 1));
        }
        Random random = new Random(11);
        for (int i = 0; i < DUPLICATES; i++) {
            int original = random.nextInt(MESSAGES - DUPLICATES);
            payloads.add(usage("trk-" + original, original % 40, original + 1));
        }
        Collections.shuffle(payloads, random);

        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        MessageHandler<UsageMessage> handler = (m, ctx) -> {
            handled.computeIfAbsent(m.trackingId(), k -> new AtomicInteger()).incrementAndGet();
            return MessageHandler.Outcome.PROCESSED;
        };
        for (String node : List.of("node-a", "node-b")) {
            for (String p : payloads) {
                broker.publish(node, p);
            }
            ConsumerPipeline<UsageMessage> pipeline = ConsumerPipeline.builder(new UsageMessageContract())
                    .source(new InMemoryBrokerSource(node, broker, node))
                    .idempotencyStore(store)
                    .handler(handler)
                    .config(PipelineConfig.builder().concurrency(4).retryInitialDelay(Duration.ofMillis(10))
                            .retryMaxDelay(Duration.ofMillis(100)).build())
                    .build();
            pipelines.add(pipeline);
        }
        pipelines.forEach(ConsumerPipeline::start);

        // A deadline, not a speed claim (a few seconds with a pooled data source; a loaded 2-core
        // machine has stretched runs by 10x).
        await().atMost(Duration.ofMinutes(5)).until(() -> pipelines.stream().allMatch(p -> p.stats().oldestUnsettledSince() == null)
                && broker.depth("node-a") == 0 && broker.depth("node-b") == 0
                && pipelines.stream().mapToLong(p -> p.stats().processed() + p.stats().duplicates()).sum() == 2L * MESSAGES);

        assertThat(handled).hasSize(MESSAGES - DUPLICATES);
        assertThat(handled.values()).allSatisfy(count -> assertThat(count).hasValue(1));
        long processed = pipelines.stream().mapToLong(p -> p.stats().processed()).sum();
        long duplicates = pipelines.stream().mapToLong(p -> p.stats().duplicates()).sum();
        assertThat(processed).isEqualTo(MESSAGES - DUPLICATES);
        assertThat(duplicates).isEqualTo(MESSAGES + DUPLICATES);
        assertThat(broker.depth("node-a.dlq") + broker.depth("node-b.dlq")).isZero();
    }
}
