package io.github.meterstream.activemq.internal;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Deliveries handed to the sink and not yet settled or returned to the broker; close waits on it. */
public final class InFlightMessages {

    private final Set<Delivery> deliveries = ConcurrentHashMap.newKeySet();
    private final Object changed = new Object();

    void add(Delivery d) {
        deliveries.add(d);
    }

    /** Forgets {@code d}: it was settled, or its session is gone and the broker has it back. */
    void remove(Delivery d) {
        if (deliveries.remove(d)) {
            synchronized (changed) {
                changed.notifyAll();
            }
        }
    }

    boolean contains(Delivery d) {
        return deliveries.contains(d);
    }

    public int size() {
        return deliveries.size();
    }

    /** Waits until nothing is in flight or {@code timeout} passed; true if nothing is. */
    public boolean awaitEmpty(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (!deliveries.isEmpty()) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0) {
                    return false;
                }
                try {
                    // a removal notifies; the bound only guards against a missed wake-up
                    changed.wait(Math.min(leftMs, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return deliveries.isEmpty();
                }
            }
            return true;
        }
    }
}
