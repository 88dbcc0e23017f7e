package io.github.meterstream.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * What the source knows about one partition for as long as it owns it: every offset fetched and
 * not yet settled (held, in flight, waiting for a retry, being dead-lettered), so that a commit
 * never passes one of them, and the delivery in flight for each. A new object is made on each
 * assignment; once {@link #release()}d it refuses every settlement, which is how a settlement for a
 * partition this consumer no longer owns fails instead of being counted.
 *
 * <p>Threads: the poll thread fetches, hands over, commits and releases; settlements arrive on any
 * thread and touch only their {@link Delivery}'s state (one compare-and-set, no lock shared with the
 * poll thread, no wake-up unless a revoke waits). The poll thread reads those states when it
 * computes what to commit, once per commit, walking the offsets in fetch order.
 */
public final class PartitionState {

    /**
     * One fetched offset, with the attempt of it handed over last (null until the first hand-over).
     * Once settled it keeps nothing else: a settled offset may wait behind an unsettled one, and the
     * record it came from is garbage by then.
     */
    static final class Slot {
        final long offset;
        volatile Delivery current;
        volatile boolean settled;

        Slot(long offset) {
            this.offset = offset;
        }

        boolean settled() {
            return settled;
        }
    }

    /** Below this many offsets kept, settled ones behind an unsettled one are not worth sweeping out. */
    private static final int MIN_SWEEP = 1_024;

    private final TopicPartition partition;
    /** The unsettled offsets in fetch order; settled ones leave from the head when a commit is computed. Poll thread only. */
    private final ArrayDeque<Slot> unsettled = new ArrayDeque<>();
    /** When {@link #unsettled} grows to this size, the settled offsets in it are swept out. */
    private int sweepAt = MIN_SWEEP;
    /** False once an offset came that was not above the previous one (a reset): the lowest is then searched. */
    private boolean increasing = true;
    private long nextOffset = -1L;
    private long committed = -1L;
    private volatile boolean owned = true;
    /** The poll thread while it waits in {@link #awaitSettled}; settlements then wake it. */
    private volatile Thread waiter;

    public PartitionState(TopicPartition partition) {
        this.partition = partition;
    }

    public TopicPartition partition() {
        return partition;
    }

    /** The poll thread fetched {@code r}: it counts as unsettled until settled. Returns its first attempt. */
    Delivery fetched(ConsumerRecord<byte[], byte[]> r) {
        long offset = r.offset();
        if (offset < nextOffset) {
            increasing = false;
        }
        Slot slot = new Slot(offset);
        unsettled.addLast(slot);
        nextOffset = Math.max(nextOffset, offset + 1);
        return new Delivery(r, this, slot);
    }

    /** {@code d} is about to be handed to the sink; false if the partition was let go meanwhile. Poll thread. */
    public boolean handOver(Delivery d) {
        if (!owned) {
            return false;
        }
        d.slot.current = d;
        return d.moveTo(Delivery.WAITING, Delivery.IN_FLIGHT);
    }

    /**
     * {@code d} is done (acknowledged, or its dead-letter copy confirmed): its offset may be
     * committed. False if {@code d} is not the current delivery of its offset on an owned partition.
     * Any thread.
     */
    public boolean settled(Delivery d) {
        return leaveFlight(d, Delivery.SETTLED);
    }

    /** {@code d} goes back to waiting (a retry): still unsettled, no longer in flight. False as for {@link #settled}. */
    public boolean backToWaiting(Delivery d) {
        return leaveFlight(d, Delivery.RETRYING);
    }

    private boolean leaveFlight(Delivery d, int to) {
        if (!d.moveTo(Delivery.IN_FLIGHT, to)) {
            return false;
        }
        if (to == Delivery.SETTLED) {
            d.slot.settled = true;
            d.slot.current = null; // nobody hands it over again
        }
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        return true;
    }

    /** True while {@code d} is the delivery of its offset that the source waits for. Any thread. */
    public boolean isCurrent(Delivery d) {
        return d.state() == Delivery.IN_FLIGHT;
    }

    /**
     * Waits until every delivery in flight is settled or {@code held} (by the base, for a later
     * hand-over: nobody settles it meanwhile), or until {@code deadlineNanos}; true if so. The base
     * does not signal when it starts holding one, hence a look every 50 ms. Poll thread.
     */
    public boolean awaitSettled(long deadlineNanos, Predicate<Delivery> held) throws InterruptedException {
        waiter = Thread.currentThread();
        try {
            while (!allSettledOrHeld(held)) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, Math.min(50_000_000L, left));
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
            return true;
        } finally {
            waiter = null;
        }
    }

    private boolean allSettledOrHeld(Predicate<Delivery> held) {
        for (Slot s : unsettled) {
            Delivery d = s.current;
            if (d != null && d.state() == Delivery.IN_FLIGHT && !held.test(d)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The offset to commit: the lowest unsettled offset, or one past the last fetched record when
     * everything fetched is settled; empty when that is not beyond what was committed already.
     * Poll thread.
     */
    public OptionalLong committable() {
        if (nextOffset < 0) {
            return OptionalLong.empty();
        }
        forgetSettled();
        long c = unsettled.isEmpty() ? nextOffset : lowestUnsettled();
        return c > committed ? OptionalLong.of(c) : OptionalLong.empty();
    }

    /**
     * Drops the settled offsets at the head, and every settled one once they are many (an offset
     * that stays unsettled for long, a retry or a failing dead-letter copy, must not make the
     * partition keep every offset fetched after it). Poll thread, once per poll.
     */
    public void forgetSettled() {
        while (!unsettled.isEmpty() && unsettled.peekFirst().settled()) {
            unsettled.pollFirst();
        }
        if (unsettled.size() >= sweepAt) {
            unsettled.removeIf(Slot::settled);
            sweepAt = Math.max(MIN_SWEEP, unsettled.size() * 2);
        }
    }

    /** How many offsets are kept (unsettled, or settled behind an unsettled one). */
    int offsetsKept() {
        return unsettled.size();
    }

    private long lowestUnsettled() {
        if (increasing) {
            return unsettled.peekFirst().offset;
        }
        long lowest = Long.MAX_VALUE;
        for (Slot s : unsettled) {
            if (!s.settled()) {
                lowest = Math.min(lowest, s.offset);
            }
        }
        return lowest;
    }

    /** The broker confirmed a commit of {@code offset}. Poll thread. */
    public void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    /**
     * This consumer no longer owns the partition: every later settlement is refused. Returns the
     * deliveries that were in flight, so that the source stops counting them. Poll thread.
     */
    public List<Delivery> release() {
        owned = false;
        List<Delivery> wereInFlight = new ArrayList<>();
        for (Slot s : unsettled) {
            Delivery d = s.current;
            if (d != null && d.moveTo(Delivery.IN_FLIGHT, Delivery.RELEASED)) {
                wereInFlight.add(d);
            }
        }
        unsettled.clear();
        return wereInFlight;
    }

    @Override
    public String toString() {
        return partition.toString();
    }
}
