package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.testkit.InMemoryBrokerSourceFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The source types the bundle offers")
class SourceFactoryRegistryTest {

    @Test
    @DisplayName("every embedded adapter is found by class name, plus the extra factories given")
    void found() {
        BrokerSourceFactories f = SourceFactoryRegistry.available(getClass().getClassLoader(), new InMemoryBrokerSourceFactory());
        assertThat(f.types()).contains("activemq", "kafka", "rabbitmq", "in-memory");
    }

    @Test
    @DisplayName("the embedded adapters build a source from configuration without connecting (and without Netty on the class path)")
    void buildsWithoutConnecting() {
        BrokerSourceFactories f = SourceFactoryRegistry.available(getClass().getClassLoader());
        BrokerSource rabbit = f.create("r", ConfigValues.of("sources.r.", Map.of("type", "rabbitmq", "queue", "usage",
                "pipeline.concurrency", "2")), List.of("pipeline"));
        BrokerSource amq = f.create("a", ConfigValues.of("sources.a.", Map.of("type", "activemq", "broker-url", "tcp://localhost:61616",
                "queue", "usage")), List.of("pipeline"));
        BrokerSource kafka = f.create("k", ConfigValues.of("sources.k.", Map.of("type", "kafka", "bootstrap-servers", "localhost:9092",
                "topics", "usage", "group-id", "meterstream")), List.of("pipeline"));
        assertThat(kafka.name()).isEqualTo("k");
        kafka.close(Duration.ZERO);
        assertThat(rabbit.name()).isEqualTo("r");
        assertThat(amq.name()).isEqualTo("a");
        rabbit.close(Duration.ZERO);
        amq.close(Duration.ZERO);
    }
}
