package io.github.meterstream.kafka.internal.fault;

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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Copies a record to its dead-letter topic with an idempotent producer ({@code acks=all}): same
 * key, same payload, the original headers plus the envelope's. The returned stage completes when
 * the send callback reports success, and only then may the original's offset count as settled.
 *
 * <p>{@link #publish} never blocks its caller. The pipeline dead-letters a record that cannot be
 * decoded from inside the sink call, that is on the source's poll thread, and
 * {@code KafkaProducer.send} can block for {@code max.block.ms} (a dead-letter topic missing on a
 * cluster that creates no topics, a broker that is down): a poll thread blocked that long is
 * expelled from its group. So sends are handed to a thread of their own, and {@code max.block.ms}
 * defaults to {@value #DEFAULT_MAX_BLOCK_MS} ms so that one stuck send does not hold the others
 * for Kafka's 60 s. The producer is created on first use, on that thread: most sources never
 * dead-letter anything.
 *
 * <p>The producer's {@code max.request.size} defaults to the largest record the source can
 * receive plus room for the envelope, because everything the pipeline refuses, an oversized
 * payload included, must be copyable; the topic's own {@code max.message.bytes} still decides.
 */
public final class DeadLetterPublisher implements AutoCloseable {

    /** Default {@code max.block.ms} of the dead-letter producer (Kafka's is 60 s). */
    public static final long DEFAULT_MAX_BLOCK_MS = 10_000L;
    /** Kafka's default {@code buffer.memory}; raised when a single copy may be larger. */
    private static final long DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;
    /**
     * Envelope headers per copy: twelve today ({@code DeadLetterEnvelope.toHeaders}); counted with
     * room to spare so that a new envelope field does not make copies of the largest records fail.
     */
    private static final int ENVELOPE_HEADERS = 16;
    /** Per header: its name and Kafka's record framing. */
    private static final int HEADER_OVERHEAD_BYTES = 64;
    /** Record batch and request framing around one record. */
    private static final int REQUEST_OVERHEAD_BYTES = 1024;

    private final Properties properties;
    private final ThreadPoolExecutor sender;
    private KafkaProducer<byte[], byte[]> producer;
    private boolean closed;

    /**
     * @param largestRecordBytes the largest record the source's consumer may receive (its fetch
     *                           size limits); copies up to that size plus the envelope are sent
     * @param maxHeaderBytes     the cap on each envelope header value
     */
    public DeadLetterPublisher(Properties clientProperties, String bootstrapServers, String clientId,
                               long largestRecordBytes, int maxHeaderBytes) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // not negotiable: a dead-letter copy must be durable before the original is let go
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(DEFAULT_MAX_BLOCK_MS));
        long requestSize = largestCopyBytes(largestRecordBytes, maxHeaderBytes);
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Long.toString(Math.min(Integer.MAX_VALUE, requestSize)));
        // the producer refuses a record larger than its whole buffer; the buffer is a cap, not an allocation
        long maxRequest = Long.parseLong(String.valueOf(p.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)).trim());
        p.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(Math.max(DEFAULT_BUFFER_MEMORY, maxRequest + REQUEST_OVERHEAD_BYTES)));
        this.properties = p;
        this.sender = new ThreadPoolExecutor(1, 1, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, clientId + "-sender");
            t.setDaemon(true);
            return t;
        });
    }

    /** The {@code max.request.size} a copy of a record of {@code largestRecordBytes} needs, envelope included. */
    public static long largestCopyBytes(long largestRecordBytes, int maxHeaderBytes) {
        return largestRecordBytes + (long) ENVELOPE_HEADERS * (maxHeaderBytes + HEADER_OVERHEAD_BYTES) + REQUEST_OVERHEAD_BYTES;
    }

    /** The producer settings in effect (secrets included: never log them). */
    Properties properties() {
        return properties;
    }

    /**
     * Hands the copy to the sending thread and returns at once; the stage fails if the broker did
     * not confirm it (or the publisher was closed first). Never throws, never blocks.
     */
    public CompletableFuture<RecordMetadata> publish(ConsumerRecord<byte[], byte[]> original, String topic,
                                                     Map<String, String> envelopeHeaders) {
        CompletableFuture<RecordMetadata> confirmed = new CompletableFuture<>();
        try {
            sender.execute(new Send(original, topic, envelopeHeaders, confirmed));
        } catch (RejectedExecutionException e) {
            confirmed.completeExceptionally(new IllegalStateException("dead-letter producer is closed"));
        }
        return confirmed;
    }

    /** One copy; runs on the sending thread, where {@code send} may block up to {@code max.block.ms}. */
    private final class Send implements Runnable {
        private final ConsumerRecord<byte[], byte[]> original;
        private final String topic;
        private final Map<String, String> envelopeHeaders;
        private final CompletableFuture<RecordMetadata> confirmed;

        Send(ConsumerRecord<byte[], byte[]> original, String topic, Map<String, String> envelopeHeaders,
             CompletableFuture<RecordMetadata> confirmed) {
            this.original = original;
            this.topic = topic;
            this.envelopeHeaders = envelopeHeaders;
            this.confirmed = confirmed;
        }

        @Override
        public void run() {
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
        }

        void abandon() {
            confirmed.completeExceptionally(new IllegalStateException("dead-letter producer closed before the copy was sent"));
        }
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

    /** Waits up to {@code timeout} for sends under way, then closes the producer; sends not started fail. */
    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        sender.shutdown();
        try {
            sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Runnable r : sender.shutdownNow()) {
            ((Send) r).abandon();
        }
        KafkaProducer<byte[], byte[]> p;
        synchronized (this) {
            closed = true;
            p = producer;
            producer = null;
        }
        if (p != null) {
            p.close(Duration.ofNanos(Math.max(0L, deadline - System.nanoTime())));
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
