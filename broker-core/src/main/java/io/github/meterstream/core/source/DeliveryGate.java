package io.github.meterstream.core.source;

/**
 * Whether a source's delivery threads may hand messages to the sink: open, paused, or stopped for
 * good. {@link AbstractBrokerSource} owns one and opens, pauses and stops it; an adapter passes it
 * to whatever runs its delivery threads.
 *
 * <p>{@link #pause()} and {@link #resume()} only set state and wake waiters: they never wait for a
 * delivery thread, and a delivery thread holds this monitor only while it waits, never while it
 * calls the sink (the pipeline pauses a source while holding its own lock).
 */
public final class DeliveryGate {

    // volatile: the readers below run once per message on the delivery threads and take no lock
    private volatile boolean paused;
    private volatile boolean stopped;
    /** Counts pauses, resumes and the stop, so that a thread can wait for the next one. */
    private long changes;

    public synchronized void pause() {
        paused = true;
        changed();
    }

    public synchronized void resume() {
        paused = false;
        changed();
    }

    /** Stops for good: waiters return, and {@link #awaitOpen(long)} answers false from now on. */
    public synchronized void stop() {
        stopped = true;
        changed();
    }

    private void changed() {
        changes++;
        notifyAll();
    }

    /** How many times the gate was paused, resumed or stopped so far; see {@link #awaitChange}. */
    public synchronized long changes() {
        return changes;
    }

    /**
     * Waits up to {@code maxWaitMillis} until the gate was paused, resumed or stopped after {@link
     * #changes()} returned {@code seen}: for a thread that delivers only what others left behind
     * while the gate was closed.
     */
    public synchronized void awaitChange(long seen, long maxWaitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxWaitMillis * 1_000_000L;
        long left = maxWaitMillis;
        while (changes == seen && !stopped && left > 0) {
            wait(left);
            left = (deadline - System.nanoTime()) / 1_000_000L;
        }
    }

    /** True while delivery may go on: not paused, not stopped. */
    public boolean isOpen() {
        return !paused && !stopped;
    }

    public boolean isPaused() {
        return paused;
    }

    public boolean isStopped() {
        return stopped;
    }

    /** Waits up to {@code maxWaitMillis} while paused; true if delivery may go on now. */
    public synchronized boolean awaitOpen(long maxWaitMillis) throws InterruptedException {
        if (paused && !stopped) {
            wait(maxWaitMillis);
        }
        return !paused && !stopped;
    }
}
