package io.github.meterstream.core.pipeline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The worker threads of {@link Lanes}, and when to wake one. Every method except the park and the
 * shutdown waits is called under the lanes' lock, which guards this state; this class has no lock.
 *
 * <p>Why not an executor: a pool that gets one task per message wakes a worker for nearly every
 * message whenever the workers are faster than the source (the usual case: the source thread
 * decodes and validates, the workers only claim and hand over). Each wake-up is a context switch
 * on both sides, and on a machine whose cores are busy that CPU shows one for one in the rate.
 * Here one worker at a time is <em>searching</em> (awake and about to look at the ready lanes, or,
 * when messages come faster than wake-ups, lingering briefly for more): while one is, nobody is
 * woken, and the searcher takes all the lanes that became ready meanwhile in one wake-up. A worker that takes a lane and leaves others ready
 * wakes another searcher, so lanes still run in parallel up to {@code concurrency} when handlers
 * take long (or wait for each other): a ready lane is never left without a worker on its way.
 */
final class Workers {

    /**
     * How long the last searching worker stays for more lanes before it sleeps until woken. Not
     * injected time: it only decides how often a thread sleeps and wakes, never what happens to a
     * message, and a message ready meanwhile waits at most this long.
     */
    static final long LINGER_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    enum State { SEARCHING, RUNNING, IDLE }

    /** One worker thread; its state is guarded by the lanes' lock. */
    static final class Worker {
        Thread thread;
        State state = State.SEARCHING;
    }

    private final int size;
    private final ThreadFactory threads;
    private final List<Worker> all = new ArrayList<>();
    /** Sleeping until woken, the most recently idle last (its caches are the warmest). */
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();
    private int searching;
    private boolean shutdown;

    Workers(int size, ThreadFactory threads) {
        this.size = size;
        this.threads = threads;
    }

    /**
     * A lane became ready: makes sure a worker is on its way to the ready lanes, unless one is
     * already. {@code loop} is what a new thread runs.
     */
    void wakeOneLocked(Consumer<Worker> loop) {
        if (searching > 0 || shutdown) {
            return;
        }
        Worker w = idle.pollLast();
        if (w != null) {
            w.state = State.SEARCHING;
            searching++;
            LockSupport.unpark(w.thread);
            return;
        }
        if (all.size() < size) {
            Worker fresh = new Worker();
            fresh.thread = threads.newThread(() -> loop.accept(fresh));
            all.add(fresh);
            searching++;
            fresh.thread.start();
        }
        // otherwise every worker is running a message; the first to finish takes the lane
    }

    /** {@code w} took a lane to run. */
    void runningLocked(Worker w) {
        if (w.state == State.SEARCHING) {
            searching--;
        } else if (w.state == State.IDLE) {
            idle.remove(w); // woken spuriously and found work before its waker
        }
        w.state = State.RUNNING;
    }

    /**
     * {@code w} found no ready lane. Returns how long it may park: {@link #LINGER_NANOS} when it
     * is now the one searcher and lingering pays, 0 to sleep until woken.
     *
     * @param runsSinceWake messages {@code w} ran since it last parked. Lingering pays only when
     *        messages come faster than a wake-up (this one found more than one): when they come one
     *        at a time, a linger that ends empty costs a second wake-up per message instead of
     *        saving one.
     */
    long nothingReadyLocked(Worker w, boolean lingeredAlready, int runsSinceWake) {
        boolean lingerPays = !lingeredAlready && runsSinceWake > 1;
        if (w.state == State.RUNNING && searching == 0 && lingerPays) {
            w.state = State.SEARCHING;
            searching++;
            return LINGER_NANOS;
        }
        if (w.state == State.SEARCHING) {
            searching--;
        }
        if (w.state != State.IDLE) {
            w.state = State.IDLE;
            idle.add(w);
        }
        return 0L;
    }

    /** {@code w} leaves for good (closing). */
    void exitLocked(Worker w) {
        if (w.state == State.SEARCHING) {
            searching--;
        } else if (w.state == State.IDLE) {
            idle.remove(w);
        }
        w.state = State.IDLE;
    }

    /** Called by a worker outside the lock: sleeps until woken or, with a positive time, at most that long. */
    static void park(long nanos) {
        if (nanos > 0) {
            LockSupport.parkNanos(nanos);
        } else {
            LockSupport.park();
        }
    }

    /** No new work: wakes every sleeping worker so that it sees the lanes closed and ends. */
    List<Thread> shutdownLocked() {
        shutdown = true;
        List<Thread> threadsNow = new ArrayList<>();
        for (Worker w : all) {
            threadsNow.add(w.thread);
            LockSupport.unpark(w.thread);
        }
        return threadsNow;
    }

    /** Waits for {@code threads} to end; false when some still run at the deadline. Not under the lock. */
    static boolean awaitTermination(List<Thread> threads, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return !anyAlive(threads);
            }
            TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
        return !anyAlive(threads);
    }

    private static boolean anyAlive(List<Thread> threads) {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }
}
