package io.github.meterstream.kafka.internal.fault;

import io.github.meterstream.core.deadletter.DeadLetterQueue;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.internal.ClientProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * A source's dead-letter topics for tools. A topic is a log: nothing is ever removed from it. The
 * tool's own consumer group ({@code <group-id>.dlq-tool}) marks how far the dead letters are dealt
 * with: its committed offset on a partition passes a record only when that record and every one
 * before it were redriven (re-published with {@code acks=all} and confirmed first). A record left by
 * a filter therefore holds the mark, and a later run sees the records after it again; one redriven
 * twice this way reaches the consumer twice, and its idempotency store makes the second a duplicate.
 */
public final class KafkaDeadLetterQueue implements DeadLetterQueue {

    /** Appended to the source's group id to name the tool's group. */
    public static final String GROUP_SUFFIX = ".dlq-tool";
    static final String ATTEMPT_HEADER = "meterstream_attempt";
    private static final Duration POLL = Duration.ofMillis(500);

    private final KafkaSourceConfig config;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<String> topics;

    public KafkaDeadLetterQueue(String name, KafkaSourceConfig config) {
        this.config = config;
        Set<String> dlqs = new LinkedHashSet<>();
        config.topics().forEach(t -> dlqs.add(config.deadLetterTopicFor(t)));
        this.topics = List.copyOf(dlqs);
        Properties c = ClientProperties.consumerOf(config, name + "-dlq-tool");
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId() + GROUP_SUFFIX);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumer = new KafkaConsumer<>(c);
        this.producer = new KafkaProducer<>(ClientProperties.producerOf(config, name + "-dlq-tool", c));
    }

    @Override
    public String describe() {
        return "Kafka topic(s) " + String.join(", ", topics) + " (dead letters of " + String.join(", ", config.topics())
                + "; progress kept by group " + config.groupId() + GROUP_SUFFIX + ')';
    }

    @Override
    public int walk(Function<DeadLetter, Action> decide) {
        int redriven = 0;
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String t : topics) {
                List<PartitionInfo> infos = consumer.partitionsFor(t, Duration.ofSeconds(30));
                if (infos != null) {
                    infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
                }
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            // per partition: the next offset the mark may move to, or null once a record there was left
            Map<TopicPartition, Long> mark = new LinkedHashMap<>();
            Set<TopicPartition> held = new LinkedHashSet<>();
            boolean stop = false;
            while (!stop && !caughtUp(end)) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp)) {
                        continue; // arrived after the walk began: the next run's
                    }
                    DeadLetter d = deadLetter(r);
                    Action action = decide.apply(d);
                    if (action == Action.STOP) {
                        stop = true;
                        break;
                    }
                    if (action == Action.REDRIVE) {
                        redrive(d, r);
                        redriven++;
                    } else {
                        held.add(tp);
                    }
                    if (!held.contains(tp)) {
                        mark.put(tp, r.offset() + 1);
                        if (action == Action.REDRIVE) {
                            // each move is marked as soon as it is confirmed: a stopped tool redrives at most one twice
                            commit(mark);
                        }
                    }
                }
            }
            commit(mark);
            return redriven;
        } catch (KafkaException | ExecutionException e) {
            throw new IllegalStateException("walking " + describe() + " failed after " + redriven + " redriven: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted after " + redriven + " redriven", e);
        }
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void commit(Map<TopicPartition, Long> mark) {
        if (mark.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        mark.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset)));
        consumer.commitSync(offsets);
    }

    private static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return new DeadLetter(r.topic() + '-' + r.partition() + '@' + r.offset(), DeadLetterEnvelope.fromHeaders(headers).orElse(null),
                r.value() == null ? new byte[0] : r.value(), headers);
    }

    private void redrive(DeadLetter d, ConsumerRecord<byte[], byte[]> r) throws ExecutionException, InterruptedException {
        DeadLetterEnvelope envelope = d.envelope();
        if (envelope == null) {
            throw new IllegalStateException(d.id() + " carries no dead-letter envelope: its destination is unknown");
        }
        RecordHeaders headers = new RecordHeaders();
        for (Header h : r.headers()) {
            if (!DeadLetterEnvelope.isEnvelopeHeader(h.key()) && !h.key().equals(ATTEMPT_HEADER)) {
                headers.add(h);
            }
        }
        headers.add(ATTEMPT_HEADER, Integer.toString(envelope.attempts()).getBytes(StandardCharsets.UTF_8));
        producer.send(new ProducerRecord<>(envelope.coordinates().destination(), null, r.key(), r.value(), headers)).get();
    }

    @Override
    public void close() {
        try {
            producer.close(Duration.ofSeconds(5));
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
