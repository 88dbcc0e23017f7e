package io.github.meterstream.kafka;

import io.github.meterstream.testkit.ObservedSource;

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
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Records handed back for a retry under a persistent failure")
class KafkaSourceRetryBoundTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.shared();

    private static final int MAX_IN_FLIGHT = 100;
    private static final int MAX_POLL_RECORDS = 100;
    private static final int MAX_WAITING_RETRIES = 200;

    @Test
    @DisplayName("stay bounded in the source while thousands are published, and the other partitions keep flowing")
    void retriesAreBounded() throws Exception {
        String topic = "retry-bound-" + UUID.randomUUID().toString().substring(0, 8);
        KAFKA.createTopic(topic, 3);
        int failing = 2000;
        int good = 2000;
        // partition 0 holds only keys whose handler always fails; partitions 1 and 2 only keys that work
        for (int i = 0; i < failing; i++) {
            String key = "down" + (i % 8);
            KAFKA.publishAsync(topic, 0, key, (key + ":bad-" + i).getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < good; i++) {
            String key = "up" + (i % 8);
            KAFKA.publishAsync(topic, 1 + i % 2, key, (key + ":good-" + i).getBytes(StandardCharsets.UTF_8));
        }
        KAFKA.flush();

        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", topic + "-group");
        c.put("poll-timeout", "50ms");
        c.put("kafka.max.poll.records", Integer.toString(MAX_POLL_RECORDS));
        c.put("retry.max-waiting", Integer.toString(MAX_WAITING_RETRIES));
        KafkaSource kafka = new KafkaSource("retry-bound", KafkaSourceConfig.of(c));
        // the most records the source held at once, sampled at every delivery
        AtomicInteger maxSeen = new AtomicInteger();
        IntSupplier heldNow = () -> {
            int n = kafka.heldRecords();
            maxSeen.accumulateAndGet(n, Math::max);
            return n;
        };
        ObservedSource<KafkaSource> source = new ObservedSource<>(kafka, m -> heldNow.getAsInt());

        Set<String> processed = ConcurrentHashMap.newKeySet();
        AtomicInteger failures = new AtomicInteger();
        MessageHandler<String[]> handler = (m, ctx) -> {
            if (m[0].startsWith("down")) {
                failures.incrementAndGet();
                throw new TransientFailure("downstream refuses this key (test)", null);
            }
            processed.add(m[1]);
            return MessageHandler.Outcome.PROCESSED;
        };
        // hand back to the source at the first failure, wait long enough for retries to pile up,
        // and never open the circuit: the successes on the other partitions keep the pipeline running
        PipelineConfig config = PipelineConfig.builder().concurrency(4).maxInFlight(MAX_IN_FLIGHT)
                .retryInProcessAttempts(1).retryInitialDelay(Duration.ofSeconds(2)).retryMaxDelay(Duration.ofSeconds(2))
                .circuitFailureThreshold(Integer.MAX_VALUE).build();
        ConsumerPipeline<String[]> pipeline = ConsumerPipeline.builder(new IdContract()).source(source).handler(handler)
                .idempotencyStore(new InMemoryIdempotencyStore()).config(config).build();
        // what the source may hold beyond the pipeline's in-flight: the waiting retries up to the
        // bound, plus what one poll fetched before the partition was paused, plus what was in flight then
        int bound = MAX_WAITING_RETRIES + MAX_POLL_RECORDS + MAX_IN_FLIGHT;
        try {
            pipeline.start();
            await("every record of the working keys handled").atMost(Duration.ofSeconds(60))
                    .until(() -> processed.size() == good);
            await("failing records retried for a while").atMost(Duration.ofSeconds(60)).until(() -> failures.get() >= 1500);
            await("records held by the source stay bounded").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> heldNow.getAsInt() <= bound);
            assertThat(maxSeen.get()).as("most records the source held at once (bound %d)", bound).isLessThanOrEqualTo(bound);
            assertThat(kafka.revocations()).isZero();
        } finally {
            pipeline.close(Duration.ofSeconds(5));
        }
    }

    /** Samples {@link KafkaSource#heldRecords()} on every delivery and whenever asked. */
}
