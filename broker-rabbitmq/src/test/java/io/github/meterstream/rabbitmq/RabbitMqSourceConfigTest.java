package io.github.meterstream.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.impl.LongStringHelper;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.rabbitmq.internal.DeliverySettler;
import io.github.meterstream.rabbitmq.internal.MessageHeaders;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("RabbitMQ source configuration (no broker needed)")
class RabbitMqSourceConfigTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";

    private static RabbitMqSourceConfig config(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("queue", "usage");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return RabbitMqSourceConfig.from(ConfigValues.of(PREFIX, m));
    }

    @Test
    @DisplayName("defaults name the topology after the queue")
    void defaults() {
        RabbitMqSourceConfig c = config();
        assertThat(c.deadLetterExchange()).isEqualTo("usage.dlx");
        assertThat(c.deadLetterQueue()).isEqualTo("usage.dlq");
        assertThat(c.retryDelays()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30),
                Duration.ofMinutes(2), Duration.ofMinutes(10));
        assertThat(c.retryQueue(Duration.ofSeconds(5))).isEqualTo("usage.retry.5000");
        assertThat(c.declareTopology()).isTrue();
        assertThat(c.queueType()).isEqualTo("classic");
        assertThat(c.consumers()).isEqualTo(1);
    }

    @Test
    @DisplayName("a bad value fails at creation naming the full key")
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> config("prefetch", "0")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(PREFIX + "prefetch: must be at least 1");
        assertThatThrownBy(() -> config("queue-type", "stream")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(PREFIX + "queue-type");
        assertThatThrownBy(() -> config("retry.delays", "1s,soon")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(PREFIX + "retry.delays");
        assertThatThrownBy(() -> config("tls.truststore.path", "/nonexistent/ca.p12", "tls.enabled", "true"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "tls.truststore.path");
        assertThatThrownBy(() -> RabbitMqSourceConfig.from(ConfigValues.of(PREFIX, Map.of())))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "queue: is required");
    }

    @Test
    @DisplayName("toString and errors never show a password or the URI")
    void secretsAreMasked() {
        RabbitMqSourceConfig c = config("password", "hunter2-secret", "tls.enabled", "true",
                "tls.truststore.password", "trust-secret");
        assertThat(c.toString()).doesNotContain("hunter2-secret").doesNotContain("trust-secret").contains("password=******");
        RabbitMqSourceConfig withUri = config("uri", "amqps://meter:uri-secret@broker.example:5671/billing");
        assertThat(withUri.toString()).doesNotContain("uri-secret");
        assertThat(withUri.address()).isEqualTo("broker.example:5671/billing").doesNotContain("uri-secret");
        assertThat(withUri.tlsEnabled()).isTrue();
        assertThatThrownBy(() -> config("uri", "http://u:uri-secret@x")).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains(PREFIX + "uri").doesNotContain("uri-secret"));
    }

    @Test
    @DisplayName("the factory is found by type and rejects unknown keys")
    void factoryByType() {
        BrokerSourceFactories factories = BrokerSourceFactories.discover(getClass().getClassLoader());
        assertThat(factories.types()).contains("rabbitmq");
        BrokerSource source = factories.create("usage", ConfigValues.of(PREFIX, Map.of("type", "rabbitmq", "queue", "usage")), List.of());
        assertThat(source).isInstanceOf(RabbitMqSource.class);
        assertThat(source.name()).isEqualTo("usage");
        assertThatThrownBy(() -> factories.create("usage", ConfigValues.of(PREFIX,
                Map.of("type", "rabbitmq", "queue", "usage", "prefech", "10")), List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining(PREFIX + "prefech");
    }

    @Test
    @DisplayName("a retry delay is rounded up to the next bucket, and capped at the largest")
    void delayBuckets() {
        List<Duration> buckets = config("retry.delays", "30s,500ms,5s").retryDelays();
        assertThat(buckets).containsExactly(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(30));
        assertThat(DeliverySettler.bucketFor(Duration.ZERO, buckets)).isEqualTo(Duration.ofMillis(500));
        assertThat(DeliverySettler.bucketFor(Duration.ofMillis(500), buckets)).isEqualTo(Duration.ofMillis(500));
        assertThat(DeliverySettler.bucketFor(Duration.ofMillis(501), buckets)).isEqualTo(Duration.ofSeconds(5));
        assertThat(DeliverySettler.bucketFor(Duration.ofHours(1), buckets)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    @DisplayName("the delivery attempt counts retries, quorum delivery counts and the redelivered flag")
    void deliveryAttempt() {
        assertThat(MessageHeaders.deliveryAttempt(props(Map.of()), false)).isEqualTo(1);
        assertThat(MessageHeaders.deliveryAttempt(props(Map.of()), true)).isEqualTo(2);
        assertThat(MessageHeaders.deliveryAttempt(props(Map.of(MessageHeaders.ATTEMPT_HEADER, 3)), false)).isEqualTo(4);
        assertThat(MessageHeaders.deliveryAttempt(props(Map.of(MessageHeaders.ATTEMPT_HEADER, 3)), true)).isEqualTo(5);
        assertThat(MessageHeaders.deliveryAttempt(props(Map.of("x-delivery-count", 2L)), true)).isEqualTo(3);
        assertThat(MessageHeaders.deliveryAttempt(props(Map.of(MessageHeaders.ATTEMPT_HEADER,
                LongStringHelper.asLongString("2"))), false)).isEqualTo(3);
        assertThat(MessageHeaders.deliveryAttempt(props(Map.of(MessageHeaders.ATTEMPT_HEADER, -7)), false)).isEqualTo(1);
    }

    @Test
    @DisplayName("a retry copy keeps the original headers, counts the attempt and drops the broker's dead-letter history")
    void retryCopyHeaders() {
        Map<String, Object> h = new HashMap<>();
        h.put("x_origin", "test");
        h.put("x-death", List.of(Map.of("queue", "usage.retry.1000")));
        h.put("x-first-death-queue", "usage.retry.1000");
        AMQP.BasicProperties copy = MessageHeaders.retryCopy(props(h), 2);
        assertThat(copy.getHeaders()).containsEntry("x_origin", "test").containsEntry(MessageHeaders.ATTEMPT_HEADER, 2)
                .doesNotContainKeys("x-death", "x-first-death-queue");
        assertThat(copy.getDeliveryMode()).isEqualTo(2);
    }

    private static AMQP.BasicProperties props(Map<String, Object> headers) {
        return new AMQP.BasicProperties.Builder().deliveryMode(2).headers(headers).build();
    }
}
