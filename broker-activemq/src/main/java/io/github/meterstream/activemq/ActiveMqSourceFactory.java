package io.github.meterstream.activemq;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.util.List;

/** Source type {@code activemq}: an ActiveMQ Classic queue or virtual topic; see {@link ActiveMqSource}. */
public final class ActiveMqSourceFactory implements BrokerSourceFactory {

    public static final String TYPE = "activemq";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return ActiveMqSourceConfig.KEYS;
    }

    @Override
    public BrokerSource create(String name, ConfigValues config) {
        return new ActiveMqSource(name, ActiveMqSourceConfig.from(config));
    }

    @Override
    public io.github.meterstream.core.deadletter.DeadLetterQueue openDeadLetterQueue(String name, ConfigValues config) {
        return new io.github.meterstream.activemq.internal.ActiveMqDeadLetterQueue(name, ActiveMqSourceConfig.from(config));
    }
}
