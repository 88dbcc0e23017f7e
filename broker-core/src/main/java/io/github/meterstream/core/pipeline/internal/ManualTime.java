package io.github.meterstream.core.pipeline.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * A {@link TimeSource} for tests: its clock stands still until the test moves it, and scheduled
 * tasks run on the test's own thread when the clock passes their time, so a retry after 30 s or a
 * lease renewal after 20 s costs no real time and happens exactly when the test says.
 * Thread-safe: the pipeline schedules from its worker threads while the test advances.
 */
public final class ManualTime implements TimeSource {

    private final PriorityQueue<Task> tasks = new PriorityQueue<>();
    private final Clock clock = new ManualClock();
    private Instant now;
    private long sequence;

    public ManualTime(Instant start) {
        this.now = start;
    }

    /** Starts at 2026-01-01T00:00:00Z. */
    public ManualTime() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Override
    public Clock clock() {
        return clock;
    }

    public synchronized Instant now() {
        return now;
    }

    @Override
    public Scheduler scheduler(String threadName) {
        return new ManualScheduler();
    }

    /**
     * Moves the clock by {@code duration}, running on this thread, in time order, every task due
     * by then, including those that the tasks themselves schedule within the window.
     */
    public void advance(Duration duration) {
        Instant target;
        synchronized (this) {
            target = now.plus(duration);
        }
        while (runNextDueBy(target)) {
            // keep going: a task may have scheduled another within the window
        }
        synchronized (this) {
            if (now.isBefore(target)) {
                now = target;
            }
        }
    }

    /**
     * Moves the clock to the earliest pending one-off task (a retry, a probe), runs it and every
     * task due at the same time; returns how far the clock moved, or empty when no one-off task
     * is pending. Repeating tasks (lease renewals) run on the way when they fall due first.
     */
    public Optional<Duration> advanceToNextTask() {
        Instant from;
        Instant due;
        synchronized (this) {
            from = now;
            due = tasks.stream().filter(t -> t.period == null && !t.owner.closed)
                    .map(t -> t.due).min(Instant::compareTo).orElse(null);
        }
        if (due == null) {
            return Optional.empty();
        }
        advance(Duration.between(from, due));
        return Optional.of(Duration.between(from, due));
    }

    /** The delays from now of the one-off tasks waiting, soonest first. */
    public synchronized List<Duration> pendingDelays() {
        List<Duration> delays = new ArrayList<>();
        tasks.stream().filter(t -> t.period == null && !t.owner.closed).sorted()
                .forEach(t -> delays.add(Duration.between(now, t.due)));
        return delays;
    }

    private boolean runNextDueBy(Instant target) {
        Task task;
        synchronized (this) {
            task = tasks.peek();
            if (task == null || task.due.isAfter(target)) {
                return false;
            }
            tasks.poll();
            if (task.owner.closed) {
                return true;
            }
            if (task.due.isAfter(now)) {
                now = task.due;
            }
            if (task.period != null) {
                tasks.add(new Task(task.owner, task.due.plus(task.period), task.period, task.action, sequence++));
            }
        }
        task.action.run(); // outside the lock: the task may schedule more
        return true;
    }

    private synchronized void add(ManualScheduler owner, Duration delay, Duration period, Runnable action) {
        if (!owner.closed) {
            tasks.add(new Task(owner, now.plus(delay), period, action, sequence++));
        }
    }

    private static final class Task implements Comparable<Task> {
        final ManualScheduler owner;
        final Instant due;
        final Duration period;
        final Runnable action;
        final long sequence;

        Task(ManualScheduler owner, Instant due, Duration period, Runnable action, long sequence) {
            this.owner = owner;
            this.due = due;
            this.period = period;
            this.action = action;
            this.sequence = sequence;
        }

        @Override
        public int compareTo(Task other) {
            int byDue = due.compareTo(other.due);
            return byDue != 0 ? byDue : Long.compare(sequence, other.sequence);
        }
    }

    private final class ManualScheduler implements Scheduler {
        volatile boolean closed;

        @Override
        public void schedule(Duration delay, Runnable task) {
            add(this, delay, null, task);
        }

        @Override
        public void scheduleRepeatedly(Duration period, Runnable task) {
            add(this, period, period, task);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final class ManualClock extends Clock {
        @Override
        public Instant instant() {
            return now();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("the pipeline reads instants only");
        }
    }
}
