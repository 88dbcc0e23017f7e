package io.github.meterstream.killbill;

import io.github.meterstream.activemq.ActiveMqSourceFactory;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.core.config.GeneratedDocs;
import io.github.meterstream.kafka.KafkaSourceFactory;
import io.github.meterstream.rabbitmq.RabbitMqSourceFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The plugin embeds every adapter, so this is where one test can hold the docs to all of them. */
class AdapterConfigurationDocsTest {

    static List<BrokerSourceFactory> adapters() {
        return List.of(new KafkaSourceFactory(), new RabbitMqSourceFactory(), new ActiveMqSourceFactory());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    @DisplayName("docs/CONFIGURATION.md lists every adapter key exactly as declared")
    void adapterTableMatches(BrokerSourceFactory factory) throws Exception {
        Path doc = Path.of("..", "docs", "CONFIGURATION.md");
        assertThat(GeneratedDocs.check(doc, factory.type(), "org.killbill.billing.plugin.meterstream.sources.<name>.",
                factory.configKeys())).isNull();
    }
}
