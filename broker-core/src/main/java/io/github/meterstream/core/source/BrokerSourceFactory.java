package io.github.meterstream.core.source;

import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.util.List;

/**
 * Creates {@link BrokerSource}s of one type ({@code kafka}, {@code rabbitmq}, {@code activemq},
 * {@code in-memory}) from configuration. Each adapter ships one, and may list it in {@code
 * META-INF/services/io.github.meterstream.core.source.BrokerSourceFactory} for {@link
 * BrokerSourceFactories#discover(ClassLoader)}; an OSGi bundle passes its factories explicitly to
 * {@link BrokerSourceFactories#of(BrokerSourceFactory...)} instead.
 */
public interface BrokerSourceFactory {

    /** The type name that selects this factory in configuration. */
    String type();

    /** Every key this factory reads, declared once; used to reject unknown keys and to write the docs. */
    List<ConfigKey<?>> configKeys();

    /**
     * Sections passed through to the broker client unchanged ({@code kafka} for {@code kafka.*}
     * client properties). Default: none.
     */
    default List<String> passThroughSections() {
        return List.of();
    }

    /**
     * Validates {@code config} and builds a source named {@code name}; never connects.
     *
     * @throws io.github.meterstream.core.config.ConfigException naming the key and the rule
     */
    BrokerSource create(String name, ConfigValues config);

    /**
     * The dead-letter destination of the source {@code config} configures, for tools that list and
     * redrive it; the caller closes it. By default this adapter offers none.
     *
     * @throws UnsupportedOperationException when the adapter has no dead-letter tool support
     * @throws io.github.meterstream.core.config.ConfigException naming the key that is wrong
     */
    default io.github.meterstream.core.deadletter.DeadLetterQueue openDeadLetterQueue(String name, ConfigValues config) {
        throw new UnsupportedOperationException("source type " + type() + " has no dead-letter tool support");
    }
}
