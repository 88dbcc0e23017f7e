package io.github.meterstream.kafka.internal;

import io.github.meterstream.kafka.KafkaSourceConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

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
    /** Kafka's default {@code buffer.memory}; raised when a single copy may be larger. */
    private static final long DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;
    /**
     * Envelope headers per dead-letter copy: twelve today ({@code DeadLetterEnvelope.toHeaders}),
     * counted with room to spare so that a new envelope field does not make the largest copies fail.
     */
    private static final int ENVELOPE_HEADERS = 16;
    /** Per header: its name and Kafka's record framing. */
    private static final int HEADER_OVERHEAD_BYTES = 64;
    /** Record batch and request framing around one record. */
    private static final int REQUEST_OVERHEAD_BYTES = 1024;

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

    /**
     * The dead-letter producer's properties: idempotent, {@code acks=all}, {@code max.block.ms} 10 s
     * (Kafka's is 60 s), and a {@code max.request.size} that fits the largest record the consumer
     * may receive plus the envelope, because everything the pipeline refuses, an oversized payload
     * included, must be copyable; the topic's own {@code max.message.bytes} still decides.
     */
    public static Properties producerOf(KafkaSourceConfig config, String clientId, Properties consumerProperties) {
        Properties p = forProducer(config.clientProperties());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // not negotiable: a dead-letter copy must be durable before the original is let go
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        long requestSize = largestReceivableRecord(consumerProperties)
                + (long) ENVELOPE_HEADERS * (config.deadLetterMaxHeaderBytes() + HEADER_OVERHEAD_BYTES) + REQUEST_OVERHEAD_BYTES;
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Long.toString(Math.min(Integer.MAX_VALUE, requestSize)));
        // the producer refuses a record larger than its whole buffer; the buffer is a cap, not an allocation
        long maxRequest = Long.parseLong(String.valueOf(p.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)).trim());
        p.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(Math.max(DEFAULT_BUFFER_MEMORY, maxRequest + REQUEST_OVERHEAD_BYTES)));
        return p;
    }

    /**
     * The largest record this consumer may be handed, as far as its settings say: Kafka returns a
     * batch larger than {@code max.partition.fetch.bytes} when it is the first of the fetch, so the
     * bound is the larger of that and {@code fetch.max.bytes} (50 MiB by default).
     */
    private static long largestReceivableRecord(Properties consumerProperties) {
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
