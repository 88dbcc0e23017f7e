package io.github.meterstream.core.pipeline.internal;

import io.github.meterstream.core.internal.NamedThreadFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Where the pipeline reads the time and gets its {@link Scheduler}s: the system clock and real
 * timer threads in production, {@link ManualTime} in tests, so that anything that waits, backs off
 * or expires is driven by a clock the pipeline was given (Micrometer's {@code MockClock} is the
 * model).
 */
public interface TimeSource {

    /** The clock failure timestamps are read from. */
    Clock clock();

    /**
     * A new scheduler; a real one runs its tasks on its own thread named {@code threadName}, so
     * that a slow task of one (a lease renewal waiting on a database) does not delay another's.
     */
    Scheduler scheduler(String threadName);

    /** The UTC system clock and one daemon timer thread per scheduler. */
    static TimeSource system() {
        return SystemTime.INSTANCE;
    }

    /** The real time source. */
    final class SystemTime implements TimeSource {
        static final SystemTime INSTANCE = new SystemTime();

        private SystemTime() {
        }

        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }

        @Override
        public Scheduler scheduler(String threadName) {
            return new ExecutorScheduler(Executors.newSingleThreadScheduledExecutor(new NamedThreadFactory(threadName)));
        }
    }

    /** A {@link Scheduler} on a single-thread {@link ScheduledExecutorService}. */
    final class ExecutorScheduler implements Scheduler {
        private final ScheduledExecutorService executor;

        ExecutorScheduler(ScheduledExecutorService executor) {
            this.executor = executor;
        }

        @Override
        public void schedule(Duration delay, Runnable task) {
            try {
                executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // closed: the task is dropped, as the contract says
            }
        }

        @Override
        public void scheduleRepeatedly(Duration period, Runnable task) {
            try {
                executor.scheduleWithFixedDelay(task, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // closed
            }
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }
}
