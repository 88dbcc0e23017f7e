package io.github.meterstream.rabbitmq;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.util.List;

/** Source type {@value #TYPE}: a {@link RabbitMqSource} configured by {@link RabbitMqSourceConfig#KEYS}. */
public final class RabbitMqSourceFactory implements BrokerSourceFactory {

    public static final String TYPE = "rabbitmq";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return RabbitMqSourceConfig.KEYS;
    }

    @Override
    public BrokerSource create(String name, ConfigValues config) {
        return new RabbitMqSource(name, RabbitMqSourceConfig.from(config));
    }

    @Override
    public io.github.meterstream.core.deadletter.DeadLetterQueue openDeadLetterQueue(String name, ConfigValues config) {
        return new io.github.meterstream.rabbitmq.internal.RabbitMqDeadLetterQueue(name, RabbitMqSourceConfig.from(config));
    }
}
