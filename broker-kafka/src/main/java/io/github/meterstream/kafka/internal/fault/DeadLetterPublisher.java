package io.github.meterstream.kafka.internal.fault;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
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
 * defaults to 10 s so that one stuck send does not hold the others for Kafka's 60 s. The producer
 * is created on first use, on that thread: most sources never dead-letter anything.
 */
public final class DeadLetterPublisher {

    private final Properties properties;
    private final ThreadPoolExecutor sender;
    private KafkaProducer<byte[], byte[]> producer;
    private boolean closed;

    /** {@code properties} from {@link io.github.meterstream.kafka.internal.ClientProperties#producerOf}; one sending thread of {@code threads}. */
    public DeadLetterPublisher(Properties properties, ThreadFactory threads) {
        this.properties = properties;
        this.sender = new ThreadPoolExecutor(1, 1, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), threads);
    }

    /**
     * Hands the copy to the sending thread and returns at once; the stage fails if the broker did
     * not confirm it (or the publisher was closed first). Never throws, never blocks.
     */
    public CompletableFuture<RecordMetadata> publish(ConsumerRecord<byte[], byte[]> original, String topic,
                                                     Map<String, String> envelopeHeaders) {
        CompletableFuture<RecordMetadata> confirmed = new CompletableFuture<>();
        try {
            sender.execute(() -> send(original, topic, envelopeHeaders, confirmed));
        } catch (RejectedExecutionException e) {
            confirmed.completeExceptionally(new IllegalStateException("dead-letter producer is closed"));
        }
        return confirmed;
    }

    /** One copy; runs on the sending thread, where {@code send} may block up to {@code max.block.ms}. */
    private void send(ConsumerRecord<byte[], byte[]> original, String topic, Map<String, String> envelopeHeaders,
                      CompletableFuture<RecordMetadata> confirmed) {
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
        List<Runnable> notStarted = sender.shutdownNow();
        KafkaProducer<byte[], byte[]> p;
        synchronized (this) {
            closed = true;
            p = producer;
            producer = null;
        }
        notStarted.forEach(Runnable::run); // each fails: the producer is closed
        if (p != null) {
            p.close(Duration.ofNanos(Math.max(0L, deadline - System.nanoTime())));
        }
    }
}
