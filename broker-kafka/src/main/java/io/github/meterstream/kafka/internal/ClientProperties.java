package io.github.meterstream.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Splits the {@code kafka.*} pass-through entries between the consumer and the dead-letter
 * producer, so that neither logs the other's settings as unknown: {@code consumer.x} and
 * {@code producer.x} go to one client only; other names go to each client that knows them
 * (security settings to both), and names neither knows (interceptor or plug-in settings) to both.
 */
public final class ClientProperties {

    private static final String CONSUMER_PREFIX = "consumer.";
    private static final String PRODUCER_PREFIX = "producer.";

    private ClientProperties() {
    }

    public static Properties forConsumer(Map<String, String> passThrough) {
        return select(passThrough, CONSUMER_PREFIX, PRODUCER_PREFIX, ConsumerConfig.configNames(), ProducerConfig.configNames());
    }

    public static Properties forProducer(Map<String, String> passThrough) {
        return select(passThrough, PRODUCER_PREFIX, CONSUMER_PREFIX, ProducerConfig.configNames(), ConsumerConfig.configNames());
    }

    private static Properties select(Map<String, String> passThrough, String own, String other,
                                     Set<String> ownNames, Set<String> otherNames) {
        Properties p = new Properties();
        passThrough.forEach((k, v) -> {
            if (k.startsWith(other)) {
                return;
            }
            if (k.startsWith(own)) {
                p.setProperty(k.substring(own.length()), v);
            } else if (ownNames.contains(k) || !otherNames.contains(k)) {
                p.putIfAbsent(k, v);
            }
        });
        // an explicit client-specific entry wins over a shared one
        passThrough.forEach((k, v) -> {
            if (k.startsWith(own)) {
                p.setProperty(k.substring(own.length()), v);
            }
        });
        return p;
    }
}
