package io.github.meterstream.kafka;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("A downstream that fails for longer than max.poll.interval.ms")
class KafkaSourceSlowDownstreamTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.shared();

    private static final Duration MAX_POLL_INTERVAL = Duration.ofSeconds(6);

    @Test
    @DisplayName("causes no rebalance and no dead letter, and everything is processed after recovery")
    void outageLongerThanMaxPollInterval() throws Exception {
        String topic = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        KAFKA.createTopic(topic, 3);
        int total = 200;
        for (int i = 0; i < total; i++) {
            KAFKA.publishAsync(topic, "key" + (i % 20), ("key" + (i % 20) + ":id-" + i).getBytes(StandardCharsets.UTF_8));
        }
        KAFKA.flush();

        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", topic + "-group");
        c.put("poll-timeout", "50ms");
        c.put("commit-interval", "200ms");
        c.put("kafka.max.poll.interval.ms", Long.toString(MAX_POLL_INTERVAL.toMillis()));
        c.put("kafka.session.timeout.ms", "6000");
        c.put("kafka.heartbeat.interval.ms", "1000");
        KafkaSource source = new KafkaSource("outage", KafkaSourceConfig.of(c));

        AtomicInteger failures = new AtomicInteger();
        Set<String> processed = ConcurrentHashMap.newKeySet();
        boolean[] down = {true};
        MessageHandler<String[]> handler = (m, ctx) -> {
            if (down[0]) {
                failures.incrementAndGet();
                throw new TransientFailure("downstream unavailable (test)", null);
            }
            processed.add(m[1]);
            return MessageHandler.Outcome.PROCESSED;
        };
        PipelineConfig config = PipelineConfig.builder().concurrency(4).maxInFlight(100)
                .retryInitialDelay(Duration.ofMillis(50)).retryMaxDelay(Duration.ofMillis(500)).retryInProcessAttempts(2)
                .circuitFailureThreshold(5).circuitOpenDuration(Duration.ofMillis(300)).circuitMaxOpenDuration(Duration.ofSeconds(1))
                .build();
        ConsumerPipeline<String[]> pipeline = ConsumerPipeline.builder(new IdContract()).source(source).handler(handler)
                .idempotencyStore(new InMemoryIdempotencyStore()).config(config).build();
        try {
            pipeline.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.state() == ConsumerPipeline.State.CIRCUIT_OPEN);
            // the outage lasts longer than max.poll.interval.ms; the group must not notice
            await().during(MAX_POLL_INTERVAL.plusSeconds(2)).atMost(MAX_POLL_INTERVAL.plusSeconds(20))
                    .until(() -> source.revocations() == 0 && pipeline.stats().deadLettered() == 0 && processed.isEmpty());
            assertThat(source.health().isConnected()).as("health during the outage: %s", source.health()).isTrue();

            down[0] = false;
            await().atMost(Duration.ofSeconds(60)).until(() -> processed.size() == total);
            assertThat(source.revocations()).as("partitions revoked during the outage").isZero();
            assertThat(pipeline.stats().deadLettered()).isZero();
            assertThat(KAFKA.readAll(topic + ".dlq")).as("dead letters").isEmpty();
        } finally {
            pipeline.close(Duration.ofSeconds(5));
        }
    }
}
