package io.github.meterstream.kafka.internal;

import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What the source knows about one partition for as long as it owns it: every offset fetched and
 * not yet settled (held, in flight, waiting for a retry, being dead-lettered), so that a commit
 * never passes one of them, and the delivery in flight for each. A new object is made on each
 * assignment; once {@link #release()}d it refuses every settlement, which is how a settlement for a
 * partition this consumer no longer owns fails instead of being counted.
 *
 * <p>Thread-safe: the poll thread fetches, delivers and commits; settlements arrive on any thread.
 */
public final class PartitionState {

    private final TopicPartition partition;
    /** Each unsettled offset, with its delivery while one is in flight (null while it waits). */
    private final TreeMap<Long, Delivery> unsettled = new TreeMap<>();
    private long nextOffset = -1L;
    private long committed = -1L;
    private boolean owned = true;

    public PartitionState(TopicPartition partition) {
        this.partition = partition;
    }

    public TopicPartition partition() {
        return partition;
    }

    /** The poll thread fetched {@code offset}; it counts as unsettled until settled. */
    public synchronized void fetched(long offset) {
        unsettled.put(offset, null);
        nextOffset = Math.max(nextOffset, offset + 1);
    }

    /** {@code d} is about to be handed to the sink; false if the partition was let go meanwhile. */
    public synchronized boolean handOver(Delivery d) {
        if (owned) {
            unsettled.put(d.offset(), d);
        }
        return owned;
    }

    /**
     * {@code d} is done (acknowledged, or its dead-letter copy confirmed): its offset may be
     * committed. False if {@code d} is not the current delivery of its offset on an owned partition.
     */
    public synchronized boolean settled(Delivery d) {
        if (!backToWaiting(d)) {
            return false;
        }
        unsettled.remove(d.offset());
        return true;
    }

    /** {@code d} goes back to waiting (a retry): still unsettled, no longer in flight. False as for {@link #settled}. */
    public synchronized boolean backToWaiting(Delivery d) {
        if (!isCurrent(d)) {
            return false;
        }
        unsettled.put(d.offset(), null);
        notifyAll();
        return true;
    }

    /** True while {@code d} is the delivery of its offset that the source waits for. */
    public synchronized boolean isCurrent(Delivery d) {
        return owned && unsettled.get(d.offset()) == d;
    }

    /**
     * Waits until every delivery in flight is settled or {@code held} (by the base, for a later
     * hand-over: nobody settles it meanwhile), or until {@code deadlineNanos}; true if so. The base
     * does not signal when it starts holding one, hence a look every 50 ms.
     */
    public synchronized boolean awaitSettled(long deadlineNanos, Predicate<Delivery> held) throws InterruptedException {
        while (!unsettled.values().stream().filter(Objects::nonNull).allMatch(held)) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1L, Math.min(50L, left / 1_000_000L)));
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
        long c = unsettled.isEmpty() ? nextOffset : unsettled.firstKey();
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
        List<Delivery> wereInFlight = new ArrayList<>(unsettled.values());
        wereInFlight.removeIf(Objects::isNull);
        unsettled.clear();
        notifyAll();
        return wereInFlight;
    }

    @Override
    public String toString() {
        return partition.toString();
    }
}
