package io.github.meterstream.kafka.internal;

import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.DeliveryGate;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.internal.commit.OffsetCommitter;
import io.github.meterstream.kafka.internal.fault.DeadLetterPublisher;
import io.github.meterstream.kafka.internal.health.Liveness;
import io.github.meterstream.kafka.internal.health.TopicWatch;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Owns the poll thread, which alone touches the consumer: reach the cluster first (a consumer does
 * not throw when no broker answers, so {@link TopicWatch} asks for the topics until one does), poll
 * (backing off while the cluster is unreachable), record what was fetched, apply pause and the retry bound to the partitions, hand
 * due retries and then fetched records over in order, commit every {@code commit-interval} and
 * check liveness every second. Once {@link #stop() stopped} it hands over nothing and keeps
 * polling with every partition paused, so that the group session stays alive while the base class
 * waits for the records in flight; once told to {@link #finish(Duration)} it commits and closes
 * the clients.
 */
public final class PollLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(PollLoop.class);
    private static final long LIVENESS_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Duration MAX_ERROR_BACKOFF = Duration.ofSeconds(10);
    private static final Duration CLOSING_POLL = Duration.ofMillis(50);
    /** After close's wait the poll thread commits (up to 10 s) and closes the consumer (2 s) and the producer (5 s). */
    private static final long EXIT_MILLIS = 20_000L;

    private final String source;
    private final KafkaSourceConfig config;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final DeliveryGate gate;
    private final FetchedRecords records;
    private final OffsetCommitter committer;
    private final Liveness liveness;
    private final TopicWatch topics;
    private final DeadLetterPublisher deadLetters;
    private final BiConsumer<Delivery, InboundMessage.Builder> handOver;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final CountDownLatch finishSignal = new CountDownLatch(1);
    private volatile Duration closeCommitTimeout = Duration.ZERO;
    private Thread thread;
    /** Fetching of partitions with waiting retries is paused because too many wait. */
    private boolean retriesFull;

    /** {@code handOver} is the base class's: it adds the settler, counts the record in flight and calls the sink. */
    public PollLoop(String source, KafkaSourceConfig config, KafkaConsumer<byte[], byte[]> consumer, DeliveryGate gate,
                    FetchedRecords records, OffsetCommitter committer, Liveness liveness, TopicWatch topics,
                    DeadLetterPublisher deadLetters, BiConsumer<Delivery, InboundMessage.Builder> handOver) {
        this.source = source;
        this.config = config;
        this.consumer = consumer;
        this.gate = gate;
        this.records = records;
        this.committer = committer;
        this.liveness = liveness;
        this.topics = topics;
        this.deadLetters = deadLetters;
        this.handOver = handOver;
    }

    /** Starts the poll thread; call before anything may call {@link #finish(Duration)}. */
    public void start(ThreadFactory threads) {
        thread = threads.newThread(this);
        thread.start();
    }

    /** Hand over nothing more (the gate is stopped already); wakes a poll thread that backs off. Any thread. */
    public void stop() {
        stopSignal.countDown();
    }

    /** Commits what is settled within {@code commitTimeout}, closes the clients and waits for the poll thread to end. */
    public void finish(Duration commitTimeout) {
        closeCommitTimeout = commitTimeout;
        // no consumer.wakeup(): the poll thread notices within its closing poll, and a stray wakeup
        // would make the closing commitSync fail
        finishSignal.countDown();
        try {
            thread.join(EXIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("Kafka source {}: poll thread still running after close", source);
        }
    }

    @Override
    public void run() {
        Duration backoff = config.pollTimeout();
        long nextCommit = System.nanoTime() + config.commitInterval().toNanos();
        long nextCheck = System.nanoTime();
        try {
            consumer.subscribe(config.topics(), committer);
            // the consumer does not throw when no broker answers: ask the cluster until it does
            while (!gate.isStopped() && !topics.reach(consumer)) {
                stopSignal.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
                backoff = longer(backoff);
            }
            backoff = config.pollTimeout();
            while (!gate.isStopped()) {
                applyPause();
                ConsumerRecords<byte[], byte[]> fetched;
                try {
                    fetched = consumer.poll(config.pollTimeout());
                } catch (KafkaException e) {
                    liveness.disconnected(e);
                    stopSignal.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
                    backoff = longer(backoff);
                    continue;
                }
                backoff = config.pollTimeout();
                liveness.polled();
                for (TopicPartition tp : fetched.partitions()) {
                    records.fetched(tp, fetched.records(tp));
                }
                deliverReady();
                records.forgetSettled();
                long now = System.nanoTime();
                if (now - nextCommit >= 0) {
                    committer.commitAsync();
                    nextCommit = now + config.commitInterval().toNanos();
                }
                if (now - nextCheck >= 0) {
                    liveness.check();
                    topics.check(consumer);
                    nextCheck = now + LIVENESS_CHECK_NANOS;
                }
            }
            keepSessionUntilFinished();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("Kafka source {}: poll thread failed; the source stops consuming", source, e);
            liveness.failed("poll thread failed: " + AbstractBrokerSource.describe(e));
        } finally {
            records.releaseAll();
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
            } catch (RuntimeException e) {
                LOG.warn("Kafka source {}: closing the consumer failed: {}", source, e.toString());
            }
            deadLetters.close(Duration.ofSeconds(5));
        }
    }

    private static Duration longer(Duration backoff) {
        return backoff.multipliedBy(2).compareTo(MAX_ERROR_BACKOFF) > 0 ? MAX_ERROR_BACKOFF : backoff.multipliedBy(2);
    }

    private void applyPause() {
        if (!gate.isOpen()) {
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
        if (!retriesFull) {
            return new HashSet<>();
        }
        Set<TopicPartition> hold = records.partitionsWithRetries();
        hold.retainAll(consumer.assignment());
        return hold;
    }

    private void deliverReady() {
        long now = System.nanoTime();
        Delivery next;
        while (gate.isOpen() && (next = records.takeDueRetry(now)) != null) {
            handOver(next);
        }
        while (gate.isOpen() && (next = records.takeHeld()) != null) {
            handOver(next);
        }
    }

    private void handOver(Delivery d) {
        if (!d.partition().handOver(d)) {
            return;
        }
        ConsumerRecord<byte[], byte[]> r = d.record();
        handOver.accept(d, InboundMessage.builder()
                .payload(r.value() == null ? new byte[0] : r.value())
                .headers(headersOf(r))
                .coordinates(SourceCoordinates.of(source, r.topic(), r.partition(), r.offset()))
                .deliveryAttempt(d.attempt()));
    }

    /** The record's headers as text; most records have none, and then no map is built. */
    private static Map<String, String> headersOf(ConsumerRecord<byte[], byte[]> r) {
        Header[] all = r.headers().toArray();
        if (all.length == 0) {
            return Map.of();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : all) {
            headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }

    /**
     * Polls with every partition paused until told to {@link #finish(Duration)}: the records in
     * flight may still be settled meanwhile and the member must not leave its group before their
     * offsets are committed. What was held or waiting for a retry is delivered again after a restart.
     */
    private void keepSessionUntilFinished() throws InterruptedException {
        records.dropWaiting();
        applyPause();
        while (finishSignal.getCount() > 0) {
            try {
                consumer.poll(CLOSING_POLL);
            } catch (KafkaException e) {
                LOG.warn("Kafka source {}: poll while closing failed: {}", source, e.toString());
                finishSignal.await();
                break;
            }
        }
        committer.commitSync(new ArrayList<>(records.states()), "close", closeCommitTimeout);
    }
}
