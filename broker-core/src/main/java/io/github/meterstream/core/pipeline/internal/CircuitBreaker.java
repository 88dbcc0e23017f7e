package io.github.meterstream.core.pipeline.internal;

import java.time.Duration;

/**
 * Counts consecutive transient failures across all messages of a pipeline. At the threshold it
 * opens: the pipeline pauses its source and runs no handler until a single probe succeeds. Each
 * failed probe doubles the wait before the next one, up to a maximum. Not thread-safe by itself:
 * the pipeline calls it under its own lock.
 */
public final class CircuitBreaker {

    /** Where the breaker stands. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final Duration initialOpen;
    private final Duration maxOpen;
    private State state = State.CLOSED;
    private int consecutiveFailures;
    private Duration currentOpen;

    public CircuitBreaker(int threshold, Duration initialOpen, Duration maxOpen) {
        this.threshold = threshold;
        this.initialOpen = initialOpen;
        this.maxOpen = maxOpen;
        this.currentOpen = initialOpen;
    }

    public State state() {
        return state;
    }

    /** Records a success; returns true when this closes a circuit that was not closed. */
    public boolean onSuccess() {
        consecutiveFailures = 0;
        currentOpen = initialOpen;
        boolean wasNotClosed = state != State.CLOSED;
        state = State.CLOSED;
        return wasNotClosed;
    }

    /**
     * Records a transient failure; returns the wait before the next probe when this opens the
     * circuit (from closed at the threshold, or a failed probe), otherwise {@code null}.
     */
    public Duration onFailure() {
        consecutiveFailures++;
        if (state == State.HALF_OPEN) {
            currentOpen = currentOpen.multipliedBy(2);
            if (currentOpen.compareTo(maxOpen) > 0) {
                currentOpen = maxOpen;
            }
            state = State.OPEN;
            return currentOpen;
        }
        if (state == State.CLOSED && consecutiveFailures >= threshold) {
            state = State.OPEN;
            return currentOpen;
        }
        return null;
    }

    /** The probe time has come: one run is allowed. */
    public void halfOpen() {
        if (state == State.OPEN) {
            state = State.HALF_OPEN;
        }
    }

    /**
     * Closes without a probe (nothing was waiting to be tried), but one more failure reopens it at
     * once rather than after a whole new threshold.
     */
    public void closeTentatively() {
        state = State.CLOSED;
        consecutiveFailures = threshold - 1;
    }
}
