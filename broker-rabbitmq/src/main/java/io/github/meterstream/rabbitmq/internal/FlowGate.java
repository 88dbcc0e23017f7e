package io.github.meterstream.rabbitmq.internal;

/**
 * Whether delivery threads may hand messages to the sink. {@link #pause()} and {@link #resume()}
 * only set state and wake waiters: they never wait for a delivery thread, and a delivery thread
 * holds this monitor only while it waits, never while it calls the sink.
 */
public final class FlowGate {

    private boolean paused;
    private boolean stopped;

    public synchronized void pause() {
        paused = true;
    }

    public synchronized void resume() {
        paused = false;
        notifyAll();
    }

    /** Stops for good: waiters return and {@link #awaitOpen(long)} answers false from now on. */
    public synchronized void stop() {
        stopped = true;
        notifyAll();
    }

    public synchronized boolean isOpen() {
        return !paused && !stopped;
    }

    public synchronized boolean isStopped() {
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
