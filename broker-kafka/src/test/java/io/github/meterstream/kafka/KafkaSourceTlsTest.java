package io.github.meterstream.kafka;

import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceHealth;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Consuming over TLS")
class KafkaSourceTlsTest {

    @RegisterExtension
    static final EmbeddedKafka TLS = EmbeddedKafka.withTls();

    private static KafkaSource tlsSource(String topic, Path truststore) {
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", TLS.tlsBootstrapServers());
        c.put("topics", topic);
        c.put("group-id", topic + "-group");
        c.put("poll-timeout", "50ms");
        c.put("kafka.security.protocol", "SSL");
        c.put("kafka.ssl.truststore.location", truststore.toString());
        c.put("kafka.ssl.truststore.password", EmbeddedKafka.STORE_PASSWORD);
        c.put("kafka.ssl.truststore.type", "PKCS12");
        return new KafkaSource("tls", KafkaSourceConfig.of(c));
    }

    @Test
    @DisplayName("a source with the broker's truststore consumes over the TLS listener")
    void consumesOverTls() throws Exception {
        TLS.createTopic("tls-usage", 1);
        for (int i = 0; i < 5; i++) {
            TLS.publish("tls-usage", null, ("over tls " + i).getBytes(StandardCharsets.UTF_8), Map.of());
        }
        KafkaSource source = tlsSource("tls-usage", TLS.truststore());
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        try {
            source.start(got::add);
            for (int i = 0; i < 5; i++) {
                InboundMessage m = got.poll(30, TimeUnit.SECONDS);
                assertThat(m).as("message %d over TLS", i).isNotNull();
                assertThat(m.payloadAsString()).isEqualTo("over tls " + i);
                m.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }

    @Test
    @DisplayName("a wrong truststore shows as CONNECTING with the SSL error naming kafka.ssl.truststore.location, and no"
            + " password is ever printed")
    void wrongTruststoreIsReported() {
        TLS.createTopicQuietly("tls-wrong", 1);
        KafkaSource source = tlsSource("tls-wrong", TLS.wrongTruststore());
        try {
            source.start(m -> { });
            await().atMost(Duration.ofSeconds(30)).until(() -> source.health().detail().contains("SSL"));
            SourceHealth health = source.health();
            assertThat(health.state()).as("it never connected").isEqualTo(SourceHealth.State.CONNECTING);
            assertThat(health.detail()).startsWith("kafka.ssl.truststore.location=" + TLS.wrongTruststore() + ": ");
            assertThat(health.toString()).doesNotContain(EmbeddedKafka.STORE_PASSWORD);
            assertThat(source.toString()).doesNotContain(EmbeddedKafka.STORE_PASSWORD).contains("ssl.truststore.password=******");
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }
}
