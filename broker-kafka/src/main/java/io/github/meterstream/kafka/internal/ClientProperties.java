package io.github.meterstream.kafka.internal;

import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.internal.health.Liveness;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Owns the Kafka clients' properties. Splits the {@code kafka.*} pass-through entries between the
 * consumer and the dead-letter producer, so that neither logs the other's settings as unknown:
 * {@code consumer.x} and {@code producer.x} go to one client only; other names go to each client
 * that knows them (security settings to both), and names neither knows (interceptor or plug-in
 * settings) to both. Then adds what the source relies on to the consumer's.
 */
public final class ClientProperties {

    private static final String CONSUMER_PREFIX = "consumer.";
    private static final String PRODUCER_PREFIX = "producer.";

    private ClientProperties() {
    }

    public static Properties forConsumer(Map<String, String> passThrough) {
        return select(passThrough, CONSUMER_PREFIX, PRODUCER_PREFIX, ConsumerConfig.configNames(), ProducerConfig.configNames());
    }

    /**
     * The consumer's properties: the pass-through entries plus what the source relies on (manual
     * commits, byte-array records, the group), starting a new group at the earliest offset unless
     * configured otherwise.
     */
    public static Properties consumerOf(KafkaSourceConfig config, String clientId) {
        Properties p = forConsumer(config.clientProperties());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // usage must not be skipped: a new group starts at the beginning unless told otherwise
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        return p;
    }

    /** The consumer's {@code session.timeout.ms}, Kafka's default when not set. */
    public static long sessionTimeoutMs(Properties consumerProperties) {
        String session = consumerProperties.getProperty(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        return session == null ? Liveness.DEFAULT_SESSION_TIMEOUT_MS : Long.parseLong(session.trim());
    }

    /**
     * The largest record this consumer may be handed, as far as its settings say: Kafka returns a
     * batch larger than {@code max.partition.fetch.bytes} when it is the first of the fetch, so the
     * bound is the larger of that and {@code fetch.max.bytes} (50 MiB by default). Every such
     * record must be copyable to the dead-letter topic, oversized ones first of all.
     */
    public static long largestReceivableRecord(Properties consumerProperties) {
        return Math.max(sizeSetting(consumerProperties, ConsumerConfig.FETCH_MAX_BYTES_CONFIG, ConsumerConfig.DEFAULT_FETCH_MAX_BYTES),
                sizeSetting(consumerProperties, ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                        ConsumerConfig.DEFAULT_MAX_PARTITION_FETCH_BYTES));
    }

    private static long sizeSetting(Properties properties, String name, int defaultValue) {
        Object v = properties.get(name);
        return v == null ? defaultValue : Long.parseLong(v.toString().trim());
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
