package io.github.meterstream.core.pipeline.internal;

import java.time.Duration;

/**
 * Runs the pipeline's delayed work: retries after their backoff, circuit probes, lease renewals.
 * An interface so that tests run it on {@link ManualTime} and move time themselves instead of
 * waiting for real milliseconds. Tasks of one scheduler run one at a time; a task scheduled after
 * {@link #close()} is dropped (the pipeline is closing and its messages go back to the broker).
 */
public interface Scheduler extends AutoCloseable {

    /** Runs {@code task} once, {@code delay} from now. */
    void schedule(Duration delay, Runnable task);

    /** Runs {@code task} every {@code period}, the first time one period from now, until closed. */
    void scheduleRepeatedly(Duration period, Runnable task);

    /** Drops every pending task and interrupts a running one; idempotent. */
    @Override
    void close();
}
