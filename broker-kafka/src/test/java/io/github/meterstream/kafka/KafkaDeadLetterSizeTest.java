package io.github.meterstream.kafka;

import io.github.meterstream.testkit.ObservedSource;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Dead-letter copies and record sizes")
class KafkaDeadLetterSizeTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.shared();

    private final List<ConsumerPipeline<String[]>> pipelines = new ArrayList<>();

    @AfterEach
    void close() {
        pipelines.forEach(p -> p.close(Duration.ofSeconds(5)));
    }

    private static String newTopic() {
        return "size-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Map<String, String> defaults(String topic) {
        // only what a test needs to be quick; nothing about sizes
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", topic + "-group");
        c.put("poll-timeout", "50ms");
        c.put("commit-interval", "200ms");
        return c;
    }

    private ConsumerPipeline<String[]> pipeline(BrokerSource source) {
        MessageHandler<String[]> handler = (m, ctx) -> MessageHandler.Outcome.PROCESSED;
        ConsumerPipeline<String[]> p = ConsumerPipeline.builder(new IdContract()).source(source).handler(handler)
                .idempotencyStore(new InMemoryIdempotencyStore()).config(PipelineConfig.builder().build()).build();
        pipelines.add(p);
        return p;
    }

    @Test
    @DisplayName("a record just over the pipeline's 1 MiB limit is dead-lettered with its envelope, with default settings")
    void oversizedRecordIsDeadLettered() throws Exception {
        String topic = newTopic();
        KAFKA.createTopic(topic, 1);
        byte[] payload = new byte[PipelineConfig.DEFAULT_MAX_PAYLOAD_BYTES + 1];
        Arrays.fill(payload, (byte) 'x');
        KAFKA.publish(topic, "big", payload, Map.of("origin", "test"));

        KafkaSource source = new KafkaSource("size", KafkaSourceConfig.of(defaults(topic)));
        pipeline(source).start();

        await("the oversized record in " + topic + ".dlq").atMost(Duration.ofSeconds(30))
                .until(() -> !KAFKA.readAll(topic + ".dlq").isEmpty());
        ConsumerRecord<byte[], byte[]> letter = KAFKA.readAll(topic + ".dlq").get(0);
        assertThat(letter.value()).as("the payload, unchanged").isEqualTo(payload);
        assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo("big");
        assertThat(header(letter, "origin")).as("the original header").isEqualTo("test");
        assertThat(header(letter, DeadLetterEnvelope.REASON_CODE)).isEqualTo(ReasonCodes.PAYLOAD_TOO_LARGE);
        assertThat(header(letter, DeadLetterEnvelope.DESTINATION)).isEqualTo(topic);
        assertThat(header(letter, DeadLetterEnvelope.POSITION)).isEqualTo("0");
        await("the original committed").atMost(Duration.ofSeconds(30))
                .until(() -> KAFKA.committedOffset(topic + "-group", topic) == 1L);
        assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);
    }

    @Test
    @DisplayName("a copy the dead-letter topic can never take turns health red naming the record, backs off, and recovers when the topic is fixed")
    void refusedCopyTurnsHealthRed() throws Exception {
        String topic = newTopic();
        String dlq = topic + ".dlq";
        KAFKA.createTopic(topic, 1);
        KAFKA.createTopic(dlq, Map.of("max.message.bytes", "2048"));
        byte[] payload = new byte[8 * 1024]; // malformed (no ':'), and larger than the dead-letter topic allows
        Arrays.fill(payload, (byte) 'y');
        KAFKA.publish(topic, null, payload, Map.of());

        Map<String, String> c = defaults(topic);
        c.put("settlement-failure.retry-after", "300ms");
        KafkaSource kafka = new KafkaSource("refused", KafkaSourceConfig.of(c));
        List<Long> deliveryTimes = new CopyOnWriteArrayList<>();
        ObservedSource<KafkaSource> source = new ObservedSource<>(kafka, m -> deliveryTimes.add(System.nanoTime() / 1_000_000L));
        pipeline(source).start();

        await("health red naming the record").atMost(Duration.ofSeconds(30))
                .until(() -> kafka.health().state() == SourceHealth.State.DISCONNECTED);
        assertThat(kafka.health().detail()).contains(topic + "[0]@0").contains(dlq).contains("RecordTooLargeException");

        // a permanent refusal must not be retried at a constant rate forever: the gaps grow
        await("four deliveries of the refused record").atMost(Duration.ofSeconds(30)).until(() -> deliveryTimes.size() >= 4);
        List<Long> t = deliveryTimes;
        long firstGap = t.get(1) - t.get(0);
        long thirdGap = t.get(3) - t.get(2);
        assertThat(thirdGap).as("gap between deliveries 3 and 4 vs 1 and 2 (ms): %s", t).isGreaterThan(2 * firstGap);
        assertThat(KAFKA.committedOffset(topic + "-group", topic)).as("not committed: nothing was dead-lettered").isLessThanOrEqualTo(0L);

        KAFKA.setTopicConfig(dlq, "max.message.bytes", "1048588");
        await("the record dead-lettered once the topic takes it").atMost(Duration.ofSeconds(60))
                .until(() -> KAFKA.readAll(dlq).size() == 1);
        await("health green again").atMost(Duration.ofSeconds(30)).until(() -> kafka.health().isConnected());
        await("the original committed").atMost(Duration.ofSeconds(30))
                .until(() -> KAFKA.committedOffset(topic + "-group", topic) == 1L);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Notes when each delivery reached the pipeline (ms since start of the test JVM's clock). */
}
