package io.github.meterstream.kafka;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.testkit.BrokerSourceCompatibilityKit;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

@DisplayName("KafkaSource passes the compatibility kit against a real KRaft broker")
class KafkaSourceCompatibilityTest extends BrokerSourceCompatibilityKit {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.shared();

    @Override
    protected String newDestination() throws Exception {
        String topic = "kit-" + UUID.randomUUID().toString().substring(0, 8);
        KAFKA.createTopic(topic, 3);
        return topic;
    }

    @Override
    protected BrokerSource createSource(String topic) {
        return new KafkaSource("kafka-kit", KafkaSourceConfig.of(Map.of("bootstrap-servers", KAFKA.bootstrapServers(),
                "topics", topic, "group-id", "group-" + topic, "poll-timeout", "50ms", "commit-interval", "200ms",
                "kafka.heartbeat.interval.ms", "500", "kafka.session.timeout.ms", "6000")));
    }

    @Override
    protected BrokerSource createUnreachableSource(String topic) throws Exception {
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            return new KafkaSource("kafka-kit", KafkaSourceConfig.of(Map.of("bootstrap-servers",
                    "127.0.0.1:" + closed.getLocalPort(), "topics", topic, "group-id", "group-" + topic, "poll-timeout", "50ms")));
        }
    }

    /** One attempt to reach the cluster waits 5 s. */
    @Override
    protected Duration nextAttemptWithin() {
        return Duration.ofSeconds(7);
    }

    @Override
    protected void publish(String topic, TestMessage message) throws Exception {
        KAFKA.publish(topic, message.key(), message.payload(), message.headers());
    }

    /** The dead-letter topic is made with a {@code max.message.bytes} no copy fits in: the broker refuses every copy. */
    @Override
    protected boolean breakDeadLetters(String topic) throws Exception {
        KAFKA.createTopic(topic + ".dlq", Map.of("max.message.bytes", "64"));
        return true;
    }

    @Override
    protected void restoreDeadLetters(String topic) throws Exception {
        KAFKA.setTopicConfig(topic + ".dlq", "max.message.bytes", "1048588");
    }

    @Override
    protected List<TestMessage> deadLetters(String topic) {
        return KAFKA.readAll(topic + ".dlq").stream().map(r -> {
            Map<String, String> headers = new LinkedHashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
            return new TestMessage(r.value(), headers, r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
        }).collect(Collectors.toList());
    }
}
