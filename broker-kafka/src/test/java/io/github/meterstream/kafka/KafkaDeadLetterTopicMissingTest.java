package io.github.meterstream.kafka;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("A dead-letter topic that does not exist on a broker that creates no topics")
class KafkaDeadLetterTopicMissingTest {

    // production clusters often refuse to create topics on first use; then a dead-letter send waits
    // for metadata of a topic that never comes
    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.ownBroker(Map.of("auto.create.topics.enable", "false"));

    private static final Duration MAX_POLL_INTERVAL = Duration.ofSeconds(3);

    @Test
    @DisplayName("blocks neither the poll thread nor the group: valid records flow, and the bad ones land in the topic once it exists")
    void deadLetterSendsDoNotBlockPolling() throws Exception {
        String topic = "usage";
        String dlq = topic + ".dlq";
        KAFKA.createTopic(topic, 1);
        // the malformed records come first, so that every valid one is behind one of them
        List<String> validIds = new ArrayList<>();
        int bad = 0;
        for (int i = 0; i < 60; i++) {
            if (i % 20 == 0) {
                KAFKA.publishAsync(topic, null, ("garbage-" + bad++).getBytes(StandardCharsets.UTF_8));
            } else {
                validIds.add("id-" + i);
                KAFKA.publishAsync(topic, "k" + (i % 5), ("k" + (i % 5) + ":id-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        KAFKA.flush();
        int badRecords = bad;
        int total = 60;

        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", "dlq-missing-group");
        c.put("poll-timeout", "50ms");
        c.put("commit-interval", "200ms");
        c.put("kafka.max.poll.interval.ms", Long.toString(MAX_POLL_INTERVAL.toMillis()));
        c.put("kafka.session.timeout.ms", "6000");
        c.put("kafka.heartbeat.interval.ms", "1000");
        KafkaSource source = new KafkaSource("dlq-missing", KafkaSourceConfig.of(c));

        Set<String> processed = ConcurrentHashMap.newKeySet();
        MessageHandler<String[]> handler = (m, ctx) -> {
            processed.add(m[1]);
            return MessageHandler.Outcome.PROCESSED;
        };
        ConsumerPipeline<String[]> pipeline = ConsumerPipeline.builder(new IdContract()).source(source).handler(handler)
                .idempotencyStore(new InMemoryIdempotencyStore()).config(PipelineConfig.builder().concurrency(2).build()).build();
        try {
            pipeline.start();
            await("every valid record handled while the dead-letter topic is missing")
                    .atMost(Duration.ofSeconds(20)).until(() -> processed.containsAll(validIds));
            // longer than max.poll.interval.ms: a poll thread stuck in a send would have been expelled by now
            await("no partition revoked or lost for longer than max.poll.interval.ms")
                    .during(MAX_POLL_INTERVAL.plusSeconds(2)).atMost(MAX_POLL_INTERVAL.plusSeconds(20))
                    .until(() -> source.revocations() == 0);
            assertThat(KAFKA.committedOffset("dlq-missing-group", topic))
                    .as("the commit stays at the first record whose copy is not confirmed").isLessThanOrEqualTo(0L);

            KAFKA.createTopic(dlq, 1);
            await("the malformed records in " + dlq).atMost(Duration.ofSeconds(60))
                    .until(() -> KAFKA.readAll(dlq).size() >= badRecords);
            List<ConsumerRecord<byte[], byte[]>> letters = KAFKA.readAll(dlq);
            assertThat(letters.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder("garbage-0", "garbage-1", "garbage-2");
            for (ConsumerRecord<byte[], byte[]> r : letters) {
                assertThat(header(r, DeadLetterEnvelope.REASON_CODE)).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD);
                assertThat(header(r, DeadLetterEnvelope.DESTINATION)).isEqualTo(topic);
                assertThat(header(r, DeadLetterEnvelope.POSITION)).isIn("0", "20", "40");
            }
            await("everything committed once the copies are confirmed").atMost(Duration.ofSeconds(30))
                    .until(() -> KAFKA.committedOffset("dlq-missing-group", topic) == total);
            assertThat(source.revocations()).as("partitions revoked or lost").isZero();
        } finally {
            pipeline.close(Duration.ofSeconds(5));
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
