package io.github.meterstream.activemq;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigValues;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("ActiveMQ source configuration")
class ActiveMqSourceConfigTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";

    private static ActiveMqSourceConfig config(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return ActiveMqSourceConfig.from(ConfigValues.of(PREFIX, m));
    }

    @Test
    @DisplayName("defaults: one consumer, prefetch 100, dead-letter queue <queue>.DLQ")
    void defaults() {
        ActiveMqSourceConfig c = config("broker-url", "tcp://mq:61616", "queue", "usage");
        assertThat(c.consumers()).isEqualTo(1);
        assertThat(c.prefetch()).isEqualTo(100);
        assertThat(c.deadLetterQueue()).isEqualTo("usage.DLQ");
    }

    @Test
    @DisplayName("a virtual topic is consumed through the consumer queue named after consumer-name")
    void virtualTopicQueue() {
        ActiveMqSourceConfig c = config("broker-url", "tcp://mq:61616", "virtual-topic", "usage", "consumer-name", "killbill");
        assertThat(c.queue()).isEqualTo("Consumer.killbill.VirtualTopic.usage");
        assertThat(c.deadLetterQueue()).isEqualTo("Consumer.killbill.VirtualTopic.usage.DLQ");
    }

    @Test
    @DisplayName("bad values fail at creation naming the full key and the rule")
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> config("queue", "usage"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "broker-url: is required");
        assertThatThrownBy(() -> config("broker-url", "http://mq", "queue", "usage"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "broker-url: must be an ActiveMQ URL");
        assertThatThrownBy(() -> config("broker-url", "tcp://mq:61616"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "queue: is required unless");
        assertThatThrownBy(() -> config("broker-url", "tcp://mq:61616", "queue", "a", "virtual-topic", "b", "consumer-name", "c"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "virtual-topic: must not be set together");
        assertThatThrownBy(() -> config("broker-url", "tcp://mq:61616", "virtual-topic", "usage"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "consumer-name: is required");
        assertThatThrownBy(() -> config("broker-url", "tcp://mq:61616", "queue", "usage", "consumers", "0"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "consumers: must be at least 1");
        assertThatThrownBy(() -> config("broker-url", "tcp://mq:61616", "queue", "usage", "tls.truststore.path", "file:///t.p12"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "tls.truststore.path: is only used with an ssl://");
        assertThatThrownBy(() -> config("broker-url", "ssl://mq:61617", "queue", "usage", "tls.truststore.path", "/no/such/trust.p12"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "tls.truststore.path: must be a readable file or a URL");
    }

    @Test
    @DisplayName("toString prints every value but never a password")
    void secretsAreMasked() {
        ActiveMqSourceConfig c = config("broker-url", "failover:(ssl://a:61617,ssl://b:61617)?jms.password=leak1",
                "queue", "usage", "username", "meter", "password", "s3cret", "tls.truststore.path", "file:///t.p12",
                "tls.truststore.password", "trustpw", "tls.keystore.path", "file:///k.p12", "tls.keystore.password", "keypw");
        assertThat(c.toString()).contains("meter", "usage", "file:///t.p12", "failover:(ssl://a:61617,ssl://b:61617)")
                .doesNotContain("s3cret", "trustpw", "keypw", "leak1");
    }

    @Test
    @DisplayName("the factory is found as source type 'activemq', rejects unknown keys and does not connect")
    void factory() {
        BrokerSourceFactories factories = BrokerSourceFactories.discover(getClass().getClassLoader());
        assertThat(factories.types()).contains(ActiveMqSourceFactory.TYPE);
        assertThat(new ActiveMqSourceFactory().configKeys()).isEqualTo(ActiveMqSourceConfig.KEYS);
        Map<String, String> values = Map.of("type", "activemq", "broker-url", "tcp://127.0.0.1:1", "queue", "usage");
        BrokerSource source = factories.create("usage", ConfigValues.of(PREFIX, values), List.of());
        assertThat(source.health().state()).isEqualTo(SourceHealth.State.NOT_STARTED);
        source.close();
        assertThatThrownBy(() -> factories.create("usage", ConfigValues.of(PREFIX,
                Map.of("type", "activemq", "broker-url", "tcp://x:1", "queue", "q", "prefetchh", "5")), List.of()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(PREFIX + "prefetchh: is not a known key");
    }
}
