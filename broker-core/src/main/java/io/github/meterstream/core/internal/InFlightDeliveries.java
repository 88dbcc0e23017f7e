package io.github.meterstream.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The deliveries a source handed to its sink and that are not settled yet, each with the message
 * object it was handed over as (a redelivery is a new object, so a late settlement of the old one
 * is told apart). A close waits on it with a deadline.
 *
 * @param <D> the adapter's delivery handle
 * @param <M> the message handed over
 */
public final class InFlightDeliveries<D, M> {

    private final Map<D, M> deliveries = new ConcurrentHashMap<>();
    private final Object changed = new Object();
    /** Threads in {@link #awaitEmpty}; written under {@code changed}, read without it by removals. */
    private volatile int waiting;

    public void add(D delivery, M message) {
        deliveries.put(delivery, message);
    }

    /** True if {@code delivery} is in flight as {@code message}. */
    public boolean holds(D delivery, M message) {
        return deliveries.get(delivery) == message;
    }

    /** Forgets {@code delivery} if it is in flight as {@code message}; true if it was. */
    public boolean remove(D delivery, M message) {
        return signalIf(deliveries.remove(delivery, message));
    }

    /** Forgets {@code delivery}, whichever message it was handed over as; true if it was in flight. */
    public boolean remove(D delivery) {
        return signalIf(deliveries.remove(delivery) != null);
    }

    public int size() {
        return deliveries.size();
    }

    /** Empties the set and returns what was in it. */
    public List<D> drain() {
        List<D> left = new ArrayList<>(deliveries.keySet());
        deliveries.clear();
        return left;
    }

    /** Waits until nothing is in flight or {@code deadlineNanos} (System.nanoTime) passed; true if nothing is. */
    public boolean awaitEmpty(long deadlineNanos) {
        synchronized (changed) {
            waiting++;
            try {
                return awaitEmptyLocked(deadlineNanos);
            } finally {
                waiting--;
            }
        }
    }

    private boolean awaitEmptyLocked(long deadlineNanos) {
        while (!deliveries.isEmpty()) {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (leftMs <= 0) {
                return false;
            }
            try {
                // every removal while someone waits notifies; the bound only guards against a missed wake-up
                changed.wait(Math.min(leftMs, 100));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return deliveries.isEmpty();
            }
        }
        return true;
    }

    private boolean signalIf(boolean removed) {
        // only a close waits: without one, a removal takes no lock (it ran once per message)
        if (removed && waiting > 0) {
            synchronized (changed) {
                changed.notifyAll();
            }
        }
        return removed;
    }
}
