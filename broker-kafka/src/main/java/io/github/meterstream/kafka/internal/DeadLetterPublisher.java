package io.github.meterstream.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * Copies a record to its dead-letter topic with an idempotent producer ({@code acks=all}): same
 * key, same payload, the original headers plus the envelope's. The returned stage completes when
 * the send callback reports success, and only then may the original's offset count as settled.
 * The producer is created on first use: most sources never dead-letter anything.
 */
public final class DeadLetterPublisher implements AutoCloseable {

    private final Properties properties;
    private KafkaProducer<byte[], byte[]> producer;
    private boolean closed;

    public DeadLetterPublisher(Properties clientProperties, String bootstrapServers, String clientId) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // not negotiable: a dead-letter copy must be durable before the original is let go
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.properties = p;
    }

    /** Sends the copy; the stage fails if the broker did not confirm it. Never throws. */
    public CompletableFuture<RecordMetadata> publish(ConsumerRecord<byte[], byte[]> original, String topic,
                                                     Map<String, String> envelopeHeaders) {
        CompletableFuture<RecordMetadata> confirmed = new CompletableFuture<>();
        try {
            RecordHeaders headers = new RecordHeaders();
            for (Header h : original.headers()) {
                if (!envelopeHeaders.containsKey(h.key())) {
                    headers.add(h);
                }
            }
            envelopeHeaders.forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
            ProducerRecord<byte[], byte[]> copy = new ProducerRecord<>(topic, null, null, original.key(), original.value(), headers);
            producer().send(copy, (metadata, error) -> {
                if (error == null) {
                    confirmed.complete(metadata);
                } else {
                    confirmed.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            confirmed.completeExceptionally(e);
        }
        return confirmed;
    }

    private synchronized KafkaProducer<byte[], byte[]> producer() {
        if (closed) {
            throw new IllegalStateException("dead-letter producer is closed");
        }
        if (producer == null) {
            producer = new KafkaProducer<>(properties);
        }
        return producer;
    }

    /** Waits up to {@code timeout} for sends under way, then closes the producer. */
    public void close(Duration timeout) {
        KafkaProducer<byte[], byte[]> p;
        synchronized (this) {
            closed = true;
            p = producer;
            producer = null;
        }
        if (p != null) {
            p.close(timeout);
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
