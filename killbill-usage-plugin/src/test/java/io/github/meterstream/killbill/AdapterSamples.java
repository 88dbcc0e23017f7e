package io.github.meterstream.killbill;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * For {@link DocumentedConfigKeysTest}: one adapter's smallest valid configuration, its parser, and
 * what else a key needs to be valid when it is set (a trust store must be a readable file and wants
 * TLS on; a virtual topic replaces the queue and wants a consumer name).
 */
final class AdapterSamples {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";

    private final Map<String, String> base;
    private final Function<ConfigValues, Object> parser;
    /** Per key: the settings that go with it; a {@code null} value removes that key from the base. */
    private final Map<String, Map<String, String>> companions = new HashMap<>();
    /** Per key: a valid value other than the default, where the documented type does not give one. */
    private final Map<String, String> values = new HashMap<>();

    private AdapterSamples(Map<String, String> base, Function<ConfigValues, Object> parser) {
        this.base = base;
        this.parser = parser;
    }

    static AdapterSamples of(String type) {
        switch (type) {
            case "kafka":
                return new AdapterSamples(Map.of("bootstrap-servers", "localhost:9092", "topics", "usage", "group-id", "g"),
                        KafkaSourceConfig::from);
            case "rabbitmq": {
                AdapterSamples s = new AdapterSamples(Map.of("queue", "usage"), RabbitMqSourceConfig::from);
                s.values.put("uri", "amqp://meter:pw@rabbit:5672/billing");
                s.values.put("retry.delays", "2s,7s");
                s.values.put("tls.truststore.path", readableFile());
                s.values.put("tls.keystore.path", readableFile());
                s.companions.put("tls.truststore.path", Map.of("tls.enabled", "true"));
                s.companions.put("tls.keystore.path", Map.of("tls.enabled", "true"));
                return s;
            }
            case "activemq": {
                AdapterSamples s = new AdapterSamples(Map.of("broker-url", "ssl://mq:61617", "queue", "usage"),
                        ActiveMqSourceConfig::from);
                s.values.put("broker-url", "ssl://other:61617");
                s.values.put("tls.truststore.path", "file:///etc/trust.p12");
                s.values.put("tls.keystore.path", "file:///etc/key.p12");
                s.companions.put("password", Map.of("username", "meter"));
                Map<String, String> virtualTopic = new HashMap<>();
                virtualTopic.put("queue", null);
                virtualTopic.put("virtual-topic", "usage");
                virtualTopic.put("consumer-name", "billing");
                s.companions.put("virtual-topic", virtualTopic);
                s.companions.put("consumer-name", virtualTopic);
                return s;
            }
            default:
                throw new IllegalArgumentException("no samples for source type " + type);
        }
    }

    /** The settings that set {@code key} to {@code documentedTypeValue} (or this adapter's own sample value). */
    Map<String, String> change(String key, String documentedTypeValue) {
        Map<String, String> change = new HashMap<>(companions.getOrDefault(key, Map.of()));
        change.put(key, values.getOrDefault(key, documentedTypeValue));
        return change;
    }

    /** Every value the adapter's configuration exposes, after applying {@code change} to the base. */
    Map<String, Object> parsed(Map<String, String> change) {
        Map<String, String> settings = new LinkedHashMap<>(base);
        change.forEach((k, v) -> {
            if (v == null) {
                settings.remove(k);
            } else {
                settings.put(k, v);
            }
        });
        Object config = parser.apply(ConfigValues.of(PREFIX, settings));
        Map<String, Object> exposed = new TreeMap<>();
        for (Method m : config.getClass().getMethods()) {
            if (m.getParameterCount() == 0 && !Modifier.isStatic(m.getModifiers()) && m.getDeclaringClass() == config.getClass()) {
                try {
                    exposed.put(m.getName(), m.invoke(config));
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException(m.getName(), e);
                }
            }
        }
        return exposed;
    }

    private static String readableFile() {
        try {
            Path p = Files.createTempFile("meterstream-store", ".p12");
            p.toFile().deleteOnExit();
            return p.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
