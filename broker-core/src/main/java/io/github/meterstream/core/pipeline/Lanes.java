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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
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
    private final ExecutorService workers;
    private final Scheduler scheduler;
    private final Duration probeAgainAfter;
    private final Function<Job<T>, Step> runner;

    private final Object lock = new Object();
    private final Map<String, Lane<T>> lanes = new HashMap<>();
    private final ArrayDeque<Lane<T>> parked = new ArrayDeque<>();
    private Lane<T> probeLane;
    private boolean started;
    private volatile boolean closed;
    /** True while the circuit is closed with no failure counted: successes then skip the lock. */
    private volatile boolean downstreamHealthy = true;

    /**
     * @param runner runs one message and says what its lane does next; it never throws
     */
    Lanes(BrokerSource source, FlowControl flow, ExecutorService workers, Scheduler scheduler,
          PipelineConfig config, Function<Job<T>, Step> runner) {
        this.source = source;
        this.flow = flow;
        this.workers = workers;
        this.scheduler = scheduler;
        this.probeAgainAfter = config.circuitOpenDuration();
        this.runner = runner;
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

    /** Stops dispatching and pauses the source; returns false when it was closed already. */
    boolean close() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            flow.pause(PauseReason.CLOSING, "closing");
            closed = true;
            return true;
        }
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

    /** Runs the lane on a worker, or parks it while the circuit is open. Caller holds the lock. */
    private void dispatchLocked(Lane<T> lane) {
        if (closed) {
            return;
        }
        if (!flow.circuitClosed() && lane != probeLane) {
            parked.add(lane);
            return;
        }
        try {
            workers.execute(() -> runLane(lane));
        } catch (RejectedExecutionException e) {
            // closing: the lane's messages stay unsettled and go back to the broker
        }
    }

    private void runLane(Lane<T> lane) {
        for (int turn = 0; turn < JOBS_PER_TURN; turn++) {
            Job<T> job;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                if (!flow.circuitClosed() && lane != probeLane) {
                    parked.add(lane);
                    return;
                }
                job = lane.jobs.peek();
            }
            Step step = runner.apply(job);
            synchronized (lock) {
                if (!afterRunLocked(lane, job, step)) {
                    return;
                }
            }
        }
        synchronized (lock) {
            dispatchLocked(lane); // let other lanes have the workers for a while
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
    void inFlightChanged(PipelineCounters counters) {
        if (!flow.crossesBackpressureBound(counters.inFlight.get())) {
            return;
        }
        synchronized (lock) {
            if (!closed) {
                flow.updateBackpressure(counters.inFlight.get());
            }
        }
    }
}
