package io.github.meterstream.kafka;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.kafka.internal.ClientProperties;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Kafka source configuration")
class KafkaSourceConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("bootstrap-servers", "127.0.0.1:9092");
        m.put("topics", "usage, usage-eu");
        m.put("group-id", "killbill-usage");
        return m;
    }

    @Test
    @DisplayName("defaults apply and the dead-letter topic is <topic>.dlq per topic")
    void defaults() {
        KafkaSourceConfig c = KafkaSourceConfig.of(minimal());
        assertThat(c.topics()).containsExactly("usage", "usage-eu");
        assertThat(c.deadLetterTopicFor("usage-eu")).isEqualTo("usage-eu.dlq");
        assertThat(c.commitInterval()).isEqualTo(KafkaSourceConfig.DEFAULT_COMMIT_INTERVAL);
    }

    @Test
    @DisplayName("a missing required key fails naming the key")
    void missingKey() {
        Map<String, String> m = minimal();
        m.remove("group-id");
        assertThatThrownBy(() -> KafkaSourceConfig.from(ConfigValues.of("sources.usage.", m)))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("sources.usage.group-id: is required");
    }

    @Test
    @DisplayName("auto-commit cannot be switched on through the pass-through section")
    void autoCommitRefused() {
        Map<String, String> m = minimal();
        m.put("kafka.enable.auto.commit", "true");
        assertThatThrownBy(() -> KafkaSourceConfig.of(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("kafka.enable.auto.commit");
    }

    @Test
    @DisplayName("secrets in kafka.* never appear in toString")
    void secretsMasked() {
        Map<String, String> m = minimal();
        m.put("kafka.ssl.truststore.password", "hunter2");
        m.put("kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p4ss\";");
        m.put("kafka.security.protocol", "SASL_SSL");
        String text = new KafkaSource("usage", KafkaSourceConfig.of(m)).toString();
        assertThat(text).doesNotContain("hunter2").doesNotContain("p4ss").contains("security.protocol=SASL_SSL");
    }

    @Test
    @DisplayName("kafka.* entries reach the client that knows them; kafka.consumer.* and kafka.producer.* only that one")
    void clientPropertiesSplit() {
        Map<String, String> pass = Map.of("security.protocol", "SSL", "max.poll.records", "200",
                "producer.max.request.size", "2097152", "consumer.client.rack", "eu-1", "linger.ms", "5");
        Properties consumer = ClientProperties.forConsumer(pass);
        Properties producer = ClientProperties.forProducer(pass);
        assertThat(consumer).containsEntry("security.protocol", "SSL").containsEntry("max.poll.records", "200")
                .containsEntry("client.rack", "eu-1").doesNotContainKeys("max.request.size", "linger.ms");
        assertThat(producer).containsEntry("security.protocol", "SSL").containsEntry("max.request.size", "2097152")
                .containsEntry("linger.ms", "5").doesNotContainKeys("max.poll.records", "client.rack");
    }

    @Test
    @DisplayName("the factory is found by type, passes kafka.* through and rejects unknown keys")
    void factory() {
        BrokerSourceFactories factories = BrokerSourceFactories.discover(getClass().getClassLoader());
        assertThat(factories.types()).contains("kafka");
        Properties p = new Properties();
        minimal().forEach((k, v) -> p.setProperty("sources.usage." + k, v));
        p.setProperty("sources.usage.type", "kafka");
        p.setProperty("sources.usage.kafka.security.protocol", "SSL");
        BrokerSource source = factories.create("usage", ConfigValues.fromProperties("sources.usage.", p), List.of());
        assertThat(source).isInstanceOf(KafkaSource.class);

        p.setProperty("sources.usage.comit-interval", "5s");
        assertThatThrownBy(() -> factories.create("usage", ConfigValues.fromProperties("sources.usage.", p), List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sources.usage.comit-interval");
    }
}
