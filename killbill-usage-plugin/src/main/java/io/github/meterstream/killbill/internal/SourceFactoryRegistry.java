package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.source.BrokerSourceFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The source types the bundle can run. Adapters are optional: a factory is offered only when its
 * class is in the bundle (the adapter module was embedded). The bundle does not use {@code
 * ServiceLoader}: embedding with {@code inline=true} merges {@code META-INF/services} files, and
 * OSGi class loaders do not see them reliably.
 */
public final class SourceFactoryRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SourceFactoryRegistry.class);

    /**
     * THE place where each adapter's factory is added, one line per adapter module. Loaded by class
     * presence, so the plugin builds and runs with any subset of adapters embedded.
     */
    static final List<String> ADAPTER_FACTORIES = List.of(
            "io.github.meterstream.kafka.KafkaSourceFactory",
            "io.github.meterstream.rabbitmq.RabbitMqSourceFactory",
            "io.github.meterstream.activemq.ActiveMqSourceFactory");

    private SourceFactoryRegistry() {
    }

    /** The adapter factories present in {@code classLoader}, plus {@code extra} (tests add {@code in-memory}). */
    public static BrokerSourceFactories available(ClassLoader classLoader, BrokerSourceFactory... extra) {
        List<BrokerSourceFactory> found = new ArrayList<>();
        for (String className : ADAPTER_FACTORIES) {
            BrokerSourceFactory f = load(classLoader, className);
            if (f != null) {
                found.add(f);
            }
        }
        found.addAll(List.of(extra));
        return BrokerSourceFactories.of(found.toArray(new BrokerSourceFactory[0]));
    }

    private static BrokerSourceFactory load(ClassLoader classLoader, String className) {
        Class<?> c;
        try {
            c = Class.forName(className, true, classLoader);
        } catch (ClassNotFoundException | LinkageError e) {
            LOG.debug("Adapter {} not in the bundle: {}", className, e.toString());
            return null;
        }
        try {
            return (BrokerSourceFactory) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            LOG.warn("Adapter factory {} is present but could not be created: {}", className, e.toString());
            return null;
        }
    }
}
