package io.github.meterstream.kafka.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The pause and close requests that any thread may make and the poll thread obeys: while either
 * holds, no record is handed over and every assigned partition is paused.
 */
public final class PollControl {

    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private volatile boolean paused;
    private volatile boolean closing;
    private volatile long closeDeadlineNanos;

    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
    }

    public boolean paused() {
        return paused;
    }

    public boolean closing() {
        return closing;
    }

    /** Paused or closing: nothing is handed over, no partition fetches. */
    public boolean fetchingHeld() {
        return paused || closing;
    }

    /** Asks the poll thread to finish by {@code deadlineNanos} (System.nanoTime); false if asked already. */
    public synchronized boolean close(long deadlineNanos) {
        if (closing) {
            return false;
        }
        closeDeadlineNanos = deadlineNanos;
        closing = true;
        closeSignal.countDown();
        return true;
    }

    public long closeDeadlineNanos() {
        return closeDeadlineNanos;
    }

    /** Waits up to {@code millis}, returning early when close is asked for. */
    public void awaitClose(long millis) throws InterruptedException {
        closeSignal.await(millis, TimeUnit.MILLISECONDS);
    }
}
