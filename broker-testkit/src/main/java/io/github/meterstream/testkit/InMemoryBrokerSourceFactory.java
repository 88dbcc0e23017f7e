package io.github.meterstream.testkit;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.core.source.SourceKeys;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.util.List;

/** Source type {@code in-memory}: a queue of an {@link InMemoryBroker#named(String) named} in-JVM broker. */
public final class InMemoryBrokerSourceFactory implements BrokerSourceFactory {

    public static final String TYPE = "in-memory";

    public static final ConfigKey<String> BROKER = ConfigKey.string("broker", "default",
            "Name of the in-JVM broker (InMemoryBroker.named).");
    public static final ConfigKey<String> QUEUE = ConfigKey.string("queue", null, "Queue to consume.").required();
    public static final ConfigKey<String> DEAD_LETTER_QUEUE = SourceKeys.DEAD_LETTER_QUEUE.withDescription(
            SourceKeys.DEAD_LETTER_QUEUE.description() + " Default <queue>.dlq.");
    public static final ConfigKey<Integer> MAX_HEADER_BYTES = SourceKeys.DEAD_LETTER_MAX_HEADER_BYTES;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of(BROKER, QUEUE, DEAD_LETTER_QUEUE, MAX_HEADER_BYTES);
    }

    @Override
    public BrokerSource create(String name, ConfigValues config) {
        String queue = config.get(QUEUE);
        String dlq = config.get(DEAD_LETTER_QUEUE);
        return new InMemoryBrokerSource(name, InMemoryBroker.named(config.get(BROKER)), queue,
                dlq == null ? queue + ".dlq" : dlq, config.get(MAX_HEADER_BYTES));
    }
}
