package io.github.meterstream.kafka;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.util.List;

/** Source type {@value #TYPE}: a {@link KafkaSource} built from a {@link KafkaSourceConfig}. */
public final class KafkaSourceFactory implements BrokerSourceFactory {

    public static final String TYPE = "kafka";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return KafkaSourceConfig.KEYS;
    }

    @Override
    public List<String> passThroughSections() {
        return List.of(KafkaSourceConfig.CLIENT_SECTION);
    }

    @Override
    public BrokerSource create(String name, ConfigValues config) {
        return new KafkaSource(name, KafkaSourceConfig.from(config));
    }

    @Override
    public io.github.meterstream.core.deadletter.DeadLetterQueue openDeadLetterQueue(String name, ConfigValues config) {
        return new io.github.meterstream.kafka.internal.fault.KafkaDeadLetterQueue(name, KafkaSourceConfig.from(config));
    }
}
