package io.github.meterstream.kafka;

import io.github.meterstream.core.source.SourceHealth;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Kafka source health")
class KafkaSourceHealthTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.ownBroker();

    @Test
    @DisplayName("is CONNECTED with the lag once assigned, and DISCONNECTED when the broker goes away")
    void connectedThenDisconnected() throws Exception {
        KAFKA.createTopic("health", 2);
        for (int i = 0; i < 10; i++) {
            KAFKA.publish("health", "k" + i, ("m" + i).getBytes(StandardCharsets.UTF_8), Map.of());
        }
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", "health");
        c.put("group-id", "health-group");
        c.put("poll-timeout", "50ms");
        c.put("kafka.session.timeout.ms", "6000");
        c.put("kafka.heartbeat.interval.ms", "1000");
        KafkaSource source = new KafkaSource("health", KafkaSourceConfig.of(c));
        AtomicInteger received = new AtomicInteger();
        try {
            source.start(m -> received.incrementAndGet());
            await().atMost(Duration.ofSeconds(60)).until(() -> source.health().isConnected());
            await().atMost(Duration.ofSeconds(60)).until(() -> received.get() == 10 && Long.valueOf(0L).equals(source.health().lag()));

            KAFKA.stopBroker();
            await().atMost(Duration.ofSeconds(60)).until(() -> source.health().state() == SourceHealth.State.DISCONNECTED);
            assertThat(source.health().detail()).contains("heartbeat");
        } finally {
            source.close(Duration.ofMillis(500));
        }
        assertThat(source.health().state()).isEqualTo(SourceHealth.State.CLOSED);
    }
}
