package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.pipeline.internal.CircuitBreaker;
import io.github.meterstream.core.source.BrokerSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who paused the source and why. Several reasons can hold it at once (too much in flight, a
 * failing downstream, fail-stop, closing); the source is paused when the first one appears and
 * resumed when the last one goes, and each new reason is told to the listener. Also holds the
 * circuit breaker, the reason that comes and goes with the downstream's health.
 *
 * <p>Separate from {@link Lanes} so that the rules for pausing read on their own; not thread-safe
 * by itself: {@link Lanes} owns the lock and calls every method here under it, except
 * {@link #crossesBackpressureBound}, which only reads a volatile.
 */
final class FlowControl {

    /** Why the source is paused; more than one may hold at once. */
    enum PauseReason { BACKPRESSURE, CIRCUIT_OPEN, FAILED, CLOSING }

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);

    private final BrokerSource source;
    private final SafeListener listener;
    private final int maxInFlight;
    private final CircuitBreaker circuit;
    private final Set<PauseReason> pauseReasons = EnumSet.noneOf(PauseReason.class);
    private volatile boolean backpressured;

    FlowControl(BrokerSource source, SafeListener listener, PipelineConfig config) {
        this.source = source;
        this.listener = listener;
        this.maxInFlight = config.maxInFlight();
        this.circuit = new CircuitBreaker(config.circuitFailureThreshold(), config.circuitOpenDuration(),
                config.circuitMaxOpenDuration());
    }

    /** The state a running pipeline reports: the weightiest reason it is paused for. */
    ConsumerPipeline.State state() {
        if (pauseReasons.contains(PauseReason.FAILED)) {
            return ConsumerPipeline.State.FAILED;
        }
        if (pauseReasons.contains(PauseReason.CIRCUIT_OPEN)) {
            return ConsumerPipeline.State.CIRCUIT_OPEN;
        }
        if (pauseReasons.contains(PauseReason.BACKPRESSURE)) {
            return ConsumerPipeline.State.BACKPRESSURE;
        }
        return ConsumerPipeline.State.RUNNING;
    }

    // ---- back-pressure ----------------------------------------------------------------------

    /**
     * Whether {@code inFlight} may pause or resume the source; read without the lock, because most
     * calls cross no threshold.
     */
    boolean crossesBackpressureBound(int inFlight) {
        return backpressured ? inFlight <= maxInFlight / 2 : inFlight >= maxInFlight;
    }

    /** Pauses at {@code max-in-flight}, resumes at half of it. */
    void updateBackpressure(int inFlight) {
        if (inFlight >= maxInFlight) {
            backpressured = true;
            pause(PauseReason.BACKPRESSURE, "back-pressure: " + inFlight + " messages in flight");
        } else if (inFlight <= maxInFlight / 2) {
            backpressured = false;
            resume(PauseReason.BACKPRESSURE);
        }
    }

    // ---- the circuit ------------------------------------------------------------------------

    boolean circuitClosed() {
        return circuit.state() == CircuitBreaker.State.CLOSED;
    }

    boolean circuitHalfOpen() {
        return circuit.state() == CircuitBreaker.State.HALF_OPEN;
    }

    /** Counts a failure of the downstream; returns the wait before the first probe when the circuit opens. */
    Duration downstreamFailed(Throwable cause) {
        Duration probeIn = circuit.onFailure();
        if (probeIn != null) {
            LOG.warn("Downstream failing ({}); circuit open: consumption of source {} paused, next probe in {}",
                    cause.toString(), source.name(), probeIn);
            pause(PauseReason.CIRCUIT_OPEN, "circuit open: " + cause);
        }
        return probeIn;
    }

    /** Counts a success; returns true when it closed the circuit (the source is resumed if nothing else holds it). */
    boolean downstreamSucceeded() {
        if (circuit.onSuccess()) {
            resume(PauseReason.CIRCUIT_OPEN);
            return true;
        }
        return false;
    }

    /** The probe time has come: one run is allowed. */
    void halfOpen() {
        circuit.halfOpen();
    }

    /** Nothing was waiting to probe with: close, with one failure enough to reopen. */
    void closeWithoutProbe() {
        circuit.closeTentatively();
        resume(PauseReason.CIRCUIT_OPEN);
    }

    // ---- pause reasons ----------------------------------------------------------------------

    void pause(PauseReason reason, String text) {
        boolean wasRunning = pauseReasons.isEmpty();
        if (pauseReasons.add(reason)) {
            if (wasRunning) {
                source.pause();
            }
            // reported for every new reason: a circuit opening while back-pressure already paused the source still matters
            listener.tell(l -> l.onPaused(source.name(), text));
        }
    }

    void resume(PauseReason reason) {
        if (pauseReasons.remove(reason) && pauseReasons.isEmpty()) {
            source.resume();
            listener.tell(l -> l.onResumed(source.name()));
        }
    }
}
