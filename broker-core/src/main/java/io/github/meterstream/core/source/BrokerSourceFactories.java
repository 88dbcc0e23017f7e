package io.github.meterstream.core.source;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The source types a program knows, and the one place that turns a source's configuration section
 * into a {@link BrokerSource}: it reads {@code type}, picks the factory (an unknown type fails with
 * the list of known ones) and rejects keys no one declared (a typo never passes silently).
 */
public final class BrokerSourceFactories {

    /** The key that chooses the factory. */
    public static final ConfigKey<String> TYPE = ConfigKey.string("type", null,
            "Source type: kafka, rabbitmq, activemq or in-memory (those whose module is present).").required();

    private final Map<String, BrokerSourceFactory> byType;

    private BrokerSourceFactories(List<BrokerSourceFactory> factories) {
        Map<String, BrokerSourceFactory> m = new TreeMap<>();
        for (BrokerSourceFactory f : factories) {
            BrokerSourceFactory previous = m.put(f.type(), f);
            if (previous != null) {
                throw new IllegalArgumentException("two factories for source type '" + f.type() + "': "
                        + previous.getClass().getName() + " and " + f.getClass().getName());
            }
        }
        this.byType = Collections.unmodifiableMap(m);
    }

    public static BrokerSourceFactories of(BrokerSourceFactory... factories) {
        return new BrokerSourceFactories(List.of(factories));
    }

    /** The factories listed in {@code META-INF/services} visible to {@code classLoader}. */
    public static BrokerSourceFactories discover(ClassLoader classLoader) {
        List<BrokerSourceFactory> found = new ArrayList<>();
        ServiceLoader.load(BrokerSourceFactory.class, classLoader).forEach(found::add);
        return new BrokerSourceFactories(found);
    }

    /** The known type names, sorted. */
    public List<String> types() {
        return new ArrayList<>(byType.keySet());
    }

    /**
     * The factory for {@code type}.
     *
     * @throws ConfigException naming {@code key} and the known types
     */
    public BrokerSourceFactory factory(String key, String type) {
        BrokerSourceFactory f = byType.get(type);
        if (f == null) {
            throw new ConfigException(key, "unknown source type '" + type + "'; known types: "
                    + (byType.isEmpty() ? "(none: no adapter module is present)" : String.join(", ", byType.keySet())));
        }
        return f;
    }

    /**
     * Builds the source named {@code name} from its section. Keys under {@code otherSections}
     * (for example {@code pipeline}) belong to the caller and are allowed through.
     */
    public BrokerSource create(String name, ConfigValues section, List<String> otherSections) {
        String type = section.get(TYPE);
        BrokerSourceFactory factory = factory(section.prefix() + TYPE.name(), type);
        List<ConfigKey<?>> allowed = new ArrayList<>(factory.configKeys());
        allowed.add(TYPE);
        List<String> sections = new ArrayList<>(factory.passThroughSections());
        sections.addAll(otherSections);
        section.requireOnlyKnownKeys(allowed, sections);
        return factory.create(name, section);
    }
}
