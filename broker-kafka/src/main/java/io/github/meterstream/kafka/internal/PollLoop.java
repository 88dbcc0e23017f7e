package io.github.meterstream.kafka.internal;

import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.internal.commit.OffsetCommitter;
import io.github.meterstream.kafka.internal.fault.DeadLetterPublisher;
import io.github.meterstream.kafka.internal.fault.Settler;
import io.github.meterstream.kafka.internal.health.Liveness;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The poll thread's work, which alone touches the consumer: poll (backing off while the cluster is
 * unreachable), record what was fetched, apply pause and the retry bound to the partitions, hand
 * due retries and then fetched records to the sink in order, commit every {@code commit-interval},
 * check liveness every second, and on close let the records in flight finish (still polling, so
 * the group session stays alive), commit and close the clients.
 */
public final class PollLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(PollLoop.class);
    private static final long LIVENESS_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Duration MAX_ERROR_BACKOFF = Duration.ofSeconds(10);

    private final String source;
    private final KafkaSourceConfig config;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final PollControl control;
    private final FetchedRecords records;
    private final OffsetCommitter committer;
    private final RebalanceHandler rebalance;
    private final Liveness liveness;
    private final Settler settler;
    private final DeadLetterPublisher deadLetters;
    private final MessageSink sink;
    /** Fetching of partitions with waiting retries is paused because too many wait. */
    private boolean retriesFull;

    public PollLoop(String source, KafkaSourceConfig config, KafkaConsumer<byte[], byte[]> consumer, PollControl control,
                    FetchedRecords records, OffsetCommitter committer, RebalanceHandler rebalance, Liveness liveness,
                    Settler settler, DeadLetterPublisher deadLetters, MessageSink sink) {
        this.source = source;
        this.config = config;
        this.consumer = consumer;
        this.control = control;
        this.records = records;
        this.committer = committer;
        this.rebalance = rebalance;
        this.liveness = liveness;
        this.settler = settler;
        this.deadLetters = deadLetters;
        this.sink = sink;
    }

    @Override
    public void run() {
        Duration backoff = config.pollTimeout();
        long nextCommit = System.nanoTime() + config.commitInterval().toNanos();
        long nextCheck = System.nanoTime();
        try {
            consumer.subscribe(config.topics(), rebalance);
            while (!control.closing()) {
                applyPause();
                ConsumerRecords<byte[], byte[]> fetched;
                try {
                    fetched = consumer.poll(config.pollTimeout());
                } catch (KafkaException e) {
                    liveness.disconnected(e);
                    control.awaitClose(backoff.toMillis());
                    backoff = backoff.multipliedBy(2).compareTo(MAX_ERROR_BACKOFF) > 0 ? MAX_ERROR_BACKOFF : backoff.multipliedBy(2);
                    continue;
                }
                backoff = config.pollTimeout();
                liveness.polled(config.topics());
                for (ConsumerRecord<byte[], byte[]> r : fetched) {
                    records.fetched(r);
                }
                deliverReady();
                long now = System.nanoTime();
                if (now - nextCommit >= 0) {
                    committer.commitAsync();
                    nextCommit = now + config.commitInterval().toNanos();
                }
                if (now - nextCheck >= 0) {
                    liveness.check();
                    nextCheck = now + LIVENESS_CHECK_NANOS;
                }
            }
            drainAndCommitOnClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("Kafka source {}: poll thread failed; the source stops consuming", source, e);
            liveness.failed("poll thread failed: " + Causes.describe(e));
        } finally {
            releaseAll();
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
            } catch (RuntimeException e) {
                LOG.warn("Kafka source {}: closing the consumer failed: {}", source, e.toString());
            }
            deadLetters.close(Duration.ofSeconds(5));
        }
    }

    /** Every record let go of: partitions released, queues emptied, no stuck copy reported. */
    void releaseAll() {
        records.releaseAll();
        liveness.stuckCopies().clear();
    }

    private void applyPause() {
        if (control.fetchingHeld()) {
            Set<TopicPartition> assigned = consumer.assignment();
            if (!assigned.isEmpty() && !consumer.paused().containsAll(assigned)) {
                consumer.pause(assigned);
            }
            return;
        }
        Set<TopicPartition> hold = partitionsHeldForRetries();
        Set<TopicPartition> toResume = new HashSet<>(consumer.paused());
        toResume.removeAll(hold);
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
        hold.removeAll(consumer.paused());
        if (!hold.isEmpty()) {
            consumer.pause(hold);
        }
    }

    /**
     * Retries are kept in memory, outside the pipeline's max-in-flight: a failure that lasts would
     * otherwise let them grow with every record fetched. From {@code retry.max-waiting} waiting
     * records until half of them have gone back to the pipeline, the partitions that have some
     * waiting fetch nothing new (records of a partition are ordered, its commit waits for them
     * anyway); the other partitions go on.
     */
    private Set<TopicPartition> partitionsHeldForRetries() {
        int waiting = records.retriesWaiting();
        int max = config.retryMaxWaiting();
        if (!retriesFull && waiting >= max) {
            retriesFull = true;
            LOG.warn("Kafka source {}: {} records wait for a retry (retry.max-waiting={}); partitions holding them fetch "
                    + "nothing new until half of them have been delivered again", source, waiting, max);
        } else if (retriesFull && waiting <= max / 2) {
            retriesFull = false;
            LOG.info("Kafka source {}: {} records wait for a retry; fetching resumed", source, waiting);
        }
        Set<TopicPartition> hold = new HashSet<>();
        if (retriesFull) {
            Set<TopicPartition> assigned = consumer.assignment();
            for (PartitionState p : records.states()) {
                if (p.hasRetriesWaiting() && assigned.contains(p.partition())) {
                    hold.add(p.partition());
                }
            }
        }
        return hold;
    }

    private void deliverReady() {
        long now = System.nanoTime();
        Delivery next;
        while (!control.fetchingHeld() && (next = records.takeDueRetry(now)) != null) {
            handOver(next);
        }
        while (!control.fetchingHeld() && (next = records.takeHeld()) != null) {
            handOver(next);
        }
    }

    private void handOver(Delivery d) {
        if (!d.partition().handOver(d)) {
            return;
        }
        ConsumerRecord<byte[], byte[]> r = d.record();
        InboundMessage message = InboundMessage.builder()
                .payload(r.value() == null ? new byte[0] : r.value())
                .headers(headersOf(r))
                .coordinates(SourceCoordinates.of(source, r.topic(), r.partition(), r.offset()))
                .deliveryAttempt(d.attempt())
                .settler((m, s) -> settler.settle(d, m, s))
                .build();
        try {
            sink.accept(message);
        } catch (RuntimeException e) {
            LOG.error("Kafka source {}: the sink refused {}; delivering it again in {}", source, message.coordinates(),
                    config.settlementFailureRetry(), e);
            settler.refused(d);
        }
    }

    private static Map<String, String> headersOf(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }

    private void drainAndCommitOnClose() {
        records.dropWaiting();
        applyPause();
        long deadline = control.closeDeadlineNanos();
        // keep polling (partitions paused) so that the group session stays alive while handlers finish
        while (System.nanoTime() - deadline < 0 && records.anyInFlight()) {
            try {
                consumer.poll(Duration.ofMillis(Math.max(1, Math.min(50, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())))));
            } catch (KafkaException e) {
                LOG.warn("Kafka source {}: poll while closing failed: {}", source, e.toString());
                break;
            }
        }
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        committer.commitSync(new ArrayList<>(records.states()), "close", Duration.ofMillis(Math.max(2000L, Math.min(10_000L, leftMs))));
    }
}
