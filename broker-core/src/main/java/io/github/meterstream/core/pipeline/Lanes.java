package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.pipeline.FlowControl.PauseReason;
import io.github.meterstream.core.pipeline.internal.Scheduler;
import io.github.meterstream.core.source.BrokerSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;

/**
 * Lanes per key: messages with the same ordering key run one at a time, in the order the source
 * delivered them; different keys run in parallel on the workers. A message waiting for an
 * in-process retry holds its key.
 *
 * <p>The one owner of the pipeline's lock. Whether a lane may run now depends on the circuit, the
 * pause reasons ({@link FlowControl}, called only under this lock) and whether the pipeline is
 * started or closed, so all of that state is guarded here and every other part calls in. Separate
 * from {@link MessageProcessor}: this decides when a message runs, that what running it means.
 */
final class Lanes<T> {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);
    /** A busy lane gives the workers up after this many messages, so that other lanes get a turn. */
    private static final int JOBS_PER_TURN = 16;

    private final BrokerSource source;
    private final FlowControl flow;
    private final Workers workers;
    private final Scheduler scheduler;
    private final Duration probeAgainAfter;
    private final Function<Job<T>, Step> runner;
    private final PipelineCounters counters;

    private final Object lock = new Object();
    private final Map<String, Lane<T>> lanes = new HashMap<>();
    private final ArrayDeque<Lane<T>> parked = new ArrayDeque<>();
    /** Lanes with a message to run and no worker yet, in the order they became ready. */
    private final ArrayDeque<Lane<T>> ready = new ArrayDeque<>();
    private Lane<T> probeLane;
    private boolean started;
    private volatile boolean closed;
    /** True while the circuit is closed with no failure counted: successes then skip the lock. */
    private volatile boolean downstreamHealthy = true;

    /**
     * @param runner runs one message and says what its lane does next; it never throws
     */
    Lanes(BrokerSource source, FlowControl flow, ThreadFactory workerThreads, Scheduler scheduler,
          PipelineConfig config, PipelineCounters counters, Function<Job<T>, Step> runner) {
        this.source = source;
        this.flow = flow;
        this.workers = new Workers(config.concurrency(), workerThreads);
        this.scheduler = scheduler;
        this.probeAgainAfter = config.circuitOpenDuration();
        this.runner = runner;
        this.counters = counters;
    }

    private static final class Lane<T> {
        final String key;
        final ArrayDeque<Job<T>> jobs = new ArrayDeque<>();
        boolean busy;

        Lane(String key) {
            this.key = key;
        }
    }

    // ---- lifecycle --------------------------------------------------------------------------

    void markStarted() {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("pipeline for source " + source.name() + " was already started");
            }
            started = true;
        }
    }

    /**
     * Stops dispatching and pauses the source; running messages go on. Returns the worker threads
     * to wait for ({@link #awaitWorkers}), or null when it was closed already.
     */
    List<Thread> close() {
        synchronized (lock) {
            if (closed) {
                return null;
            }
            flow.pause(PauseReason.CLOSING, "closing");
            closed = true;
            return workers.shutdownLocked();
        }
    }

    /** Waits for the running messages after {@link #close}; false when some still run after {@code timeout}. */
    static boolean awaitWorkers(List<Thread> threads, Duration timeout) throws InterruptedException {
        return Workers.awaitTermination(threads, timeout);
    }

    boolean isClosed() {
        return closed;
    }

    ConsumerPipeline.State state() {
        synchronized (lock) {
            if (closed) {
                return ConsumerPipeline.State.CLOSED;
            }
            if (!started) {
                return ConsumerPipeline.State.CREATED;
            }
            return flow.state();
        }
    }

    // ---- running lanes ----------------------------------------------------------------------

    void enqueue(Job<T> job, String key) {
        synchronized (lock) {
            Lane<T> lane = lanes.computeIfAbsent(key == null ? "" : key, Lane::new);
            lane.jobs.add(job);
            if (!lane.busy) {
                lane.busy = true;
                dispatchLocked(lane);
            }
        }
    }

    /** Makes the lane ready for a worker, or parks it while the circuit is open. Caller holds the lock. */
    private void dispatchLocked(Lane<T> lane) {
        if (closed) {
            return;
        }
        if (!flow.circuitClosed() && lane != probeLane) {
            parked.add(lane);
            return;
        }
        ready.add(lane);
        workers.wakeOneLocked(this::work);
    }

    /**
     * A worker's life: take a ready lane, run its messages one after another (at most {@link
     * #JOBS_PER_TURN} before other lanes get a turn), take the next ready lane; when none is ready,
     * linger or sleep (see {@link Workers}). One lock acquisition per message: a run's verdict and
     * the choice of the next message are made under the same one.
     */
    private void work(Workers.Worker me) {
        Lane<T> lane = null;
        Job<T> job = null;
        Step step = null;
        int turn = 0;
        boolean lingered = false;
        int runsSinceWake = 0;
        while (true) {
            long parkNanos;
            synchronized (lock) {
                if (job != null) {
                    if (!afterRunLocked(lane, job, step)) {
                        lane = null;
                    } else if (++turn >= JOBS_PER_TURN) {
                        ready.add(lane); // let other lanes have the workers for a while
                        lane = null;
                    }
                    job = null;
                }
                while (true) {
                    if (closed) {
                        workers.exitLocked(me);
                        return;
                    }
                    if (lane == null) {
                        lane = ready.poll();
                        if (lane == null) {
                            break;
                        }
                        turn = 0;
                        workers.runningLocked(me);
                        if (!ready.isEmpty()) {
                            workers.wakeOneLocked(this::work); // the others need a worker too
                        }
                    }
                    if (!flow.circuitClosed() && lane != probeLane) {
                        parked.add(lane);
                        lane = null;
                        continue;
                    }
                    job = lane.jobs.peek();
                    break;
                }
                parkNanos = job == null ? workers.nothingReadyLocked(me, lingered, runsSinceWake) : -1L;
            }
            if (job != null) {
                lingered = false;
                runsSinceWake++;
                step = runner.apply(job);
                // a handler's interrupt is not for the next message (closing is told by the closed flag)
                Thread.interrupted();
            } else {
                lingered = parkNanos > 0;
                runsSinceWake = 0;
                Workers.park(parkNanos);
            }
        }
    }

    /** Acts on a run's verdict; returns whether the lane goes on with its next message in this turn. */
    private boolean afterRunLocked(Lane<T> lane, Job<T> job, Step step) {
        switch (step) {
            case DONE:
                lane.jobs.poll();
                if (!lane.jobs.isEmpty()) {
                    return true;
                }
                lanes.remove(lane.key);
                lane.busy = false;
                if (lane == probeLane) {
                    // the probe lane ran dry without a verdict: let another parked lane probe
                    probeLane = null;
                    scheduleLocked(this::probe, Duration.ZERO);
                }
                return false;
            case RETRY:
                scheduleLocked(() -> redispatch(lane), job.nextDelay);
                return false;
            case PARK:
                if (lane == probeLane) {
                    probeLane = null;
                    if (flow.circuitHalfOpen()) {
                        // The probe learned nothing about the downstream (its message waits for a
                        // claim held elsewhere): let another parked lane probe after a while,
                        // or nothing would ever close the circuit again.
                        scheduleLocked(this::probe, probeAgainAfter);
                    }
                }
                if (flow.circuitClosed()) {
                    // a probe closed the circuit between the failure and now: no reason to wait
                    dispatchLocked(lane);
                } else {
                    parked.add(lane);
                }
                return false;
            case HALT:
            default:
                return false; // fail-stop: the lane keeps its unsettled message until restart
        }
    }

    private void redispatch(Lane<T> lane) {
        synchronized (lock) {
            dispatchLocked(lane);
        }
    }

    private void scheduleLocked(Runnable task, Duration delay) {
        if (!closed) {
            scheduler.schedule(delay, task);
        }
    }

    // ---- what runs tell about the downstream ------------------------------------------------

    /**
     * A run failed transiently; {@code blamesDownstream} counts it toward the circuit (not so for a
     * message that waits on its own account). Returns whether the circuit is still closed, that is
     * whether the message may be retried; otherwise its lane parks.
     */
    boolean failed(Throwable cause, boolean blamesDownstream) {
        synchronized (lock) {
            if (blamesDownstream) {
                downstreamHealthy = false;
                Duration probeIn = flow.downstreamFailed(cause);
                if (probeIn != null) {
                    scheduleLocked(this::probe, probeIn);
                }
            }
            return flow.circuitClosed();
        }
    }

    void succeeded() {
        if (downstreamHealthy) {
            return; // the common case needs no lock
        }
        synchronized (lock) {
            downstreamHealthy = true;
            int waiting = parked.size();
            if (flow.downstreamSucceeded()) {
                LOG.info("Probe succeeded; circuit closed, resuming source {} ({} keys waiting)", source.name(), waiting);
                probeLane = null;
                counters.recovered();
                while (!parked.isEmpty()) {
                    dispatchLocked(parked.poll());
                }
            }
        }
    }

    private void probe() {
        synchronized (lock) {
            if (closed || flow.circuitClosed()) {
                return;
            }
            flow.halfOpen();
            Lane<T> lane = parked.poll();
            if (lane == null) {
                LOG.info("Circuit half-open with nothing waiting; resuming source {}", source.name());
                flow.closeWithoutProbe();
                counters.recovered();
                return;
            }
            LOG.info("Circuit half-open: probing the downstream with one message of source {}", source.name());
            probeLane = lane;
            dispatchLocked(lane);
        }
    }

    // ---- pausing on behalf of others --------------------------------------------------------

    /** Fail-stop: consumption stops until the pipeline is restarted. */
    void halt(String reason) {
        synchronized (lock) {
            flow.pause(PauseReason.FAILED, reason);
        }
    }

    /** The number of unsettled messages changed: pause or resume the source at the bounds. */
    void inFlightChanged() {
        if (!flow.crossesBackpressureBound(counters.unsettled.get())) {
            return;
        }
        synchronized (lock) {
            if (!closed) {
                flow.updateBackpressure(counters.unsettled.get());
            }
        }
    }
}
