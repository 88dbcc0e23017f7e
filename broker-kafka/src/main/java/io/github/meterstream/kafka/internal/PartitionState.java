package io.github.meterstream.kafka.internal;

import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * What the source knows about one partition for as long as it owns it: every offset fetched and
 * not yet settled (held, in flight, waiting for a retry, being dead-lettered), so that a commit
 * never passes one of them. A new object is made on each assignment; once {@link #release()}d it
 * refuses every settlement, which is how a settlement for a partition this consumer no longer owns
 * fails instead of being counted.
 *
 * <p>Thread-safe: the poll thread fetches, delivers and commits; settlements arrive on any thread.
 */
public final class PartitionState {

    private final TopicPartition partition;
    private final TreeSet<Long> unsettled = new TreeSet<>();
    private final Map<Long, Delivery> inFlight = new HashMap<>();
    private long nextOffset = -1L;
    private long committed = -1L;
    private boolean owned = true;
    private int waitingRetries;

    public PartitionState(TopicPartition partition) {
        this.partition = partition;
    }

    public TopicPartition partition() {
        return partition;
    }

    /** The poll thread fetched {@code offset}; it counts as unsettled until settled. */
    public synchronized void fetched(long offset) {
        unsettled.add(offset);
        nextOffset = Math.max(nextOffset, offset + 1);
    }

    /** {@code d} is about to be handed to the sink; false if the partition was let go meanwhile. */
    public synchronized boolean handOver(Delivery d) {
        if (!owned) {
            return false;
        }
        inFlight.put(d.offset(), d);
        return true;
    }

    /**
     * {@code d} is done (acknowledged, or its dead-letter copy confirmed): its offset may be
     * committed. False if {@code d} is not the current delivery of its offset on an owned partition.
     */
    public synchronized boolean settled(Delivery d) {
        if (!isCurrent(d)) {
            return false;
        }
        inFlight.remove(d.offset());
        unsettled.remove(d.offset());
        notifyAll();
        return true;
    }

    /** {@code d} goes back to waiting (a retry): still unsettled, no longer in flight. */
    public synchronized boolean backToWaiting(Delivery d) {
        if (!isCurrent(d)) {
            return false;
        }
        inFlight.remove(d.offset());
        notifyAll();
        return true;
    }

    /** A record of this partition was put in the source's retry queue. */
    public synchronized void retryQueued() {
        waitingRetries++;
    }

    /** A record of this partition left the retry queue to be delivered again. */
    public synchronized void retryDequeued() {
        waitingRetries = Math.max(0, waitingRetries - 1);
    }

    /** True while records of this partition wait in the source's retry queue. */
    public synchronized boolean hasRetriesWaiting() {
        return waitingRetries > 0;
    }

    /** True while {@code d} is the delivery of its offset that the source waits for. */
    public synchronized boolean isCurrent(Delivery d) {
        return owned && inFlight.get(d.offset()) == d;
    }

    public synchronized boolean isOwned() {
        return owned;
    }

    /** Waits until nothing of this partition is in flight, or until {@code deadlineNanos}; true if drained. */
    public synchronized boolean awaitNoneInFlight(long deadlineNanos) throws InterruptedException {
        while (!inFlight.isEmpty()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1L, left / 1_000_000L));
        }
        return true;
    }

    /**
     * The offset to commit: the lowest unsettled offset, or one past the last fetched record when
     * everything fetched is settled; empty when that is not beyond what was committed already.
     */
    public synchronized OptionalLong committable() {
        if (nextOffset < 0) {
            return OptionalLong.empty();
        }
        long c = unsettled.isEmpty() ? nextOffset : unsettled.first();
        return c > committed ? OptionalLong.of(c) : OptionalLong.empty();
    }

    /** The broker confirmed a commit of {@code offset}. */
    public synchronized void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    /**
     * This consumer no longer owns the partition: every later settlement is refused. Returns the
     * deliveries that were in flight, so that the source stops counting them.
     */
    public synchronized List<Delivery> release() {
        owned = false;
        List<Delivery> wereInFlight = new ArrayList<>(inFlight.values());
        inFlight.clear();
        unsettled.clear();
        notifyAll();
        return wereInFlight;
    }

    @Override
    public String toString() {
        return partition.toString();
    }
}
