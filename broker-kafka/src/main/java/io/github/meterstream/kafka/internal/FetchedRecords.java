package io.github.meterstream.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Owns what this member fetched and has not settled: the {@link PartitionState} of each owned
 * partition, the records fetched but not handed over yet (held while the source is paused) and the
 * records waiting for a retry. Every other part reads and changes them through here, so that one
 * place says which records the source still answers for.
 *
 * <p>Held records are touched by the poll thread only (a concurrent deque so that
 * {@link #heldCount()} may read its size); retries are queued from any thread (settlements) and
 * taken by the poll thread.
 */
public final class FetchedRecords {

    private final Map<TopicPartition, PartitionState> partitions = new ConcurrentHashMap<>();
    private final LinkedBlockingDeque<Delivery> held = new LinkedBlockingDeque<>();
    private final PriorityBlockingQueue<Delivery> retries = new PriorityBlockingQueue<>();
    private final AtomicLong revocations = new AtomicLong();

    /** A new ownership period starts for each of {@code assigned}. Poll thread. */
    public void assigned(Collection<TopicPartition> assigned) {
        for (TopicPartition tp : assigned) {
            partitions.put(tp, new PartitionState(tp));
        }
    }

    public PartitionState state(TopicPartition tp) {
        return partitions.get(tp);
    }

    public Collection<PartitionState> states() {
        return partitions.values();
    }

    /** The poll thread fetched {@code fetched} of {@code tp}: held until handed over; ignored for a partition not owned. */
    public void fetched(TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> fetched) {
        PartitionState p = partitions.get(tp);
        if (p != null) {
            for (ConsumerRecord<byte[], byte[]> r : fetched) {
                held.add(p.fetched(r));
            }
        }
    }

    /** Forgets the offsets settled since the last poll (see {@link PartitionState#forgetSettled()}). Poll thread. */
    public void forgetSettled() {
        for (PartitionState p : partitions.values()) {
            p.forgetSettled();
        }
    }

    /** Puts {@code next} in the retry queue; any thread. */
    public void waitForRetry(Delivery next) {
        retries.add(next);
    }

    /** The retry due first if it is due at {@code nowNanos}, taken out of the queue; else null. Poll thread. */
    public Delivery takeDueRetry(long nowNanos) {
        Delivery due = retries.peek();
        if (due == null || due.dueNanos() - nowNanos > 0) {
            return null;
        }
        retries.remove(due);
        return due;
    }

    /** The oldest held record, taken; null when none. Poll thread. */
    public Delivery takeHeld() {
        return held.poll();
    }

    /** Partitions revoked or lost (let go of one by one, not at close) since the source started. */
    public long revocations() {
        return revocations.get();
    }

    public int heldCount() {
        return held.size();
    }

    public int retriesWaiting() {
        return retries.size();
    }

    /** The owned partitions with records in the retry queue. Poll thread. */
    public Set<TopicPartition> partitionsWithRetries() {
        return retries.stream().map(Delivery::partition).filter(p -> partitions.get(p.partition()) == p)
                .map(PartitionState::partition).collect(Collectors.toCollection(HashSet::new));
    }

    /**
     * Stops handing out records of {@code tps}: held ones and retries are dropped (not committed).
     * Returns the states of those this member still owned, which the caller releases.
     */
    public List<PartitionState> letGoOf(Collection<TopicPartition> tps) {
        Set<TopicPartition> set = new HashSet<>(tps);
        held.removeIf(d -> set.contains(d.partition().partition()));
        retries.removeIf(d -> set.contains(d.partition().partition()));
        // only owned partitions are in the map
        return tps.stream().map(partitions::get).filter(Objects::nonNull).collect(Collectors.toList());
    }

    /** {@code p}'s ownership period ended: see {@link PartitionState#release()}. */
    public List<Delivery> release(PartitionState p) {
        partitions.remove(p.partition(), p);
        revocations.incrementAndGet();
        return p.release();
    }

    /** On close: nothing more is handed over; what was held or waiting is delivered again after a restart. */
    public void dropWaiting() {
        held.clear();
        retries.clear();
    }

    /** Every partition released and every queue emptied: the source no longer answers for any record. */
    public void releaseAll() {
        partitions.values().forEach(PartitionState::release);
        partitions.clear();
        dropWaiting();
    }
}
