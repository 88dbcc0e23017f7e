package io.github.meterstream.core.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * Deliveries a source keeps to hand over again later (the sink refused them, or their settlement
 * failed while the broker still counts them as delivered), in due order. One daemon thread, made on
 * first use, hands each over when it is due and delivery is open; a paused source keeps them until
 * {@link #wake()}.
 *
 * @param <D> the adapter's delivery handle
 * @param <M> the message to hand over again
 */
public final class HeldDeliveries<D, M> {

    private static final class Held<M> {
        final M message;
        final long dueNanos;

        Held(M message, long dueNanos) {
            this.message = message;
            this.dueNanos = dueNanos;
        }
    }

    private final ThreadFactory threads;
    private final BooleanSupplier open;
    private final BiConsumer<D, M> handOver;
    private final Map<D, Held<M>> held = new LinkedHashMap<>(); // guarded by this
    private ScheduledThreadPoolExecutor scheduler; // guarded by this
    private boolean closed; // guarded by this

    /** {@code handOver} runs on the thread of {@code threads}, while {@code open} says delivery may go on. */
    public HeldDeliveries(ThreadFactory threads, BooleanSupplier open, BiConsumer<D, M> handOver) {
        this.threads = threads;
        this.open = open;
        this.handOver = handOver;
    }

    /** Keeps {@code delivery} to hand over again in {@code delay}; nothing once closed. */
    public synchronized void hold(D delivery, M message, Duration delay) {
        if (closed) {
            return;
        }
        held.put(delivery, new Held<>(message, System.nanoTime() + delay.toNanos()));
        schedule(delay.toMillis());
    }

    /** Drops {@code delivery}: the broker has it back. */
    public synchronized void forget(D delivery) {
        held.remove(delivery);
    }

    /** True while {@code delivery} waits here to be handed over again. */
    public synchronized boolean holds(D delivery) {
        return held.containsKey(delivery);
    }

    /** Hands over what is due now: delivery is open again. */
    public synchronized void wake() {
        if (!held.isEmpty()) {
            schedule(0);
        }
    }

    /** Stops for good and returns what was still held, oldest first. */
    public synchronized List<D> close() {
        closed = true;
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        List<D> left = new ArrayList<>(held.keySet());
        held.clear();
        return left;
    }

    private void schedule(long delayMillis) {
        if (closed) {
            return;
        }
        if (scheduler == null) {
            scheduler = new ScheduledThreadPoolExecutor(1, threads);
            scheduler.setRemoveOnCancelPolicy(true);
        }
        scheduler.schedule(this::handOverDue, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    }

    /** Runs on the scheduler's thread; calls {@code handOver} outside the monitor. */
    private void handOverDue() {
        while (open.getAsBoolean()) {
            D delivery;
            M message;
            synchronized (this) {
                Map.Entry<D, Held<M>> first = held.isEmpty() ? null : held.entrySet().iterator().next();
                if (closed || first == null || first.getValue().dueNanos - System.nanoTime() > 0) {
                    return; // a later schedule (one per held delivery) picks it up
                }
                delivery = first.getKey();
                message = first.getValue().message;
                held.remove(delivery);
            }
            handOver.accept(delivery, message);
        }
    }
}
