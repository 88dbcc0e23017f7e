package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.failure.FailurePolicy;
import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.pipeline.internal.Backoff;
import io.github.meterstream.core.source.Settlement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What a failure becomes: a retry here after a backoff, a hand-back to the broker with a delay, a
 * wait for the circuit, a dead letter with its envelope, or a stop. Separate from {@link
 * MessageProcessor}, which only says which kind of failure happened: the rules for each kind (which
 * counts toward the circuit, which may be handed back, how delays grow over the message's whole
 * history) read here in one place.
 */
final class FailureRouter {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);

    private final PipelineConfig config;
    private final FailurePolicy failurePolicy;
    private final Backoff backoff;
    private final Clock clock;
    private final Lanes<?> lanes;
    private final Settler settler;
    private final PipelineCounters counters;
    private final SafeListener listener;

    FailureRouter(PipelineConfig config, FailurePolicy failurePolicy, Clock clock, Lanes<?> lanes, Settler settler,
                  PipelineCounters counters, SafeListener listener) {
        this.config = config;
        this.failurePolicy = failurePolicy;
        this.backoff = new Backoff(config.retryInitialDelay(), config.retryMultiplier(), config.retryMaxDelay(),
                config.retryJitter());
        this.clock = clock;
        this.lanes = lanes;
        this.settler = settler;
        this.counters = counters;
        this.listener = listener;
    }

    /**
     * @param blamesDownstream counts toward the circuit (not so for a held message)
     * @param mayHandBack      after {@code retry.in-process-attempts} counted failures the message
     *                         goes back to the broker; unclassified failures stay here to reach their limit
     */
    Step transientFailure(Job<?> job, Throwable cause, boolean blamesDownstream, boolean mayHandBack) {
        return transientFailure(job, cause, blamesDownstream, mayHandBack, PipelineCounters.Hold.RETRY);
    }

    private Step transientFailure(Job<?> job, Throwable cause, boolean blamesDownstream, boolean mayHandBack,
                                  PipelineCounters.Hold waitsFor) {
        Instant now = clock.instant();
        if (job.firstFailureAt == null) {
            job.firstFailureAt = now;
        }
        job.lastFailureAt = now;
        if (blamesDownstream) {
            counters.failed(cause.toString());
        }
        counters.retried.increment();
        if (!lanes.failed(cause, blamesDownstream)) {
            LOG.debug("Transient failure while the circuit is open, message waits: {}: {}", job.event(), cause.toString());
            listener.tell(l -> l.onRetried(job.event(), Duration.ZERO, cause));
            counters.holding(job, waitsFor);
            return Step.PARK;
        }
        // Counted only now: a run parked by the open circuit says nothing about this message.
        job.countedFailures++;
        Duration delay = backoff.delay(job.retryNumber());
        listener.tell(l -> l.onRetried(job.event(), delay, cause));
        if (mayHandBack && job.countedFailures >= config.retryInProcessAttempts()) {
            if (blamesDownstream) {
                LOG.warn("Transient failure {} times, handing back to the broker for a retry in {}: {}: {}",
                        job.countedFailures, delay, job.event(), cause.toString());
            } else {
                LOG.debug("Still waiting for a claim, handing back to the broker for a retry in {}: {}", delay, job.event());
            }
            settler.settle(job, Settlement.retryAfter(delay), PipelineCounters.Outcome.RELEASED);
            return Step.DONE;
        }
        if (blamesDownstream) {
            LOG.info("Transient failure, retrying in {}: {}: {}", delay, job.event(), cause.toString());
        }
        job.nextDelay = delay;
        counters.holding(job, waitsFor);
        return Step.RETRY;
    }

    /** Another consumer is handling the same message right now: wait, without blaming the downstream. */
    Step claimHeldElsewhere(Job<?> job, IdempotencyKey key) {
        if (!job.waitingForClaim) {
            job.waitingForClaim = true; // said once per message, not at every retry
            LOG.info("Another consumer holds the claim on {}; waiting for it: {}", key, job.event());
        }
        return transientFailure(job, new HeldFailure("CLAIM_HELD", "another consumer holds the claim on " + key
                + "; it is being handled there", job.tenant(), key.id(), null), false, true, PipelineCounters.Hold.CLAIM);
    }

    /** An unexpected error or exception from the handler: retried here up to its own limit, then permanent. */
    Step unclassifiedFailure(Job<?> job, Throwable cause) {
        job.unclassifiedFailures++;
        if (job.unclassifiedFailures >= config.unclassifiedMaxAttempts()) {
            return permanentFailure(job, new PermanentFailure(ReasonCodes.HANDLER_ERROR,
                    "processing failed " + job.unclassifiedFailures + " times with an unexpected error: " + cause,
                    job.tenant(), job.trackingId(), cause));
        }
        // retried here, never handed back: a hand-back would start the count again
        return transientFailure(job, cause, true, false);
    }

    Step permanentFailure(Job<?> job, PermanentFailure failure) {
        Instant now = clock.instant();
        Throwable cause = failure.getCause() == null ? failure : failure.getCause();
        String tenant = failure.tenant() != null ? failure.tenant() : job.tenant();
        String trackingId = failure.trackingId() != null ? failure.trackingId() : job.trackingId();
        DeadLetterEnvelope envelope = DeadLetterEnvelope.builder()
                .reasonCode(failure.reasonCode())
                .reason(failure.getMessage() == null ? failure.reasonCode() : failure.getMessage())
                .exceptionClass(cause.getClass().getName())
                .coordinates(job.message.coordinates())
                .attempts(Math.max(job.runs, job.message.deliveryAttempt()))
                .firstFailureAt(job.firstFailureAt == null ? now : job.firstFailureAt)
                .lastFailureAt(now)
                .tenant(tenant)
                .trackingId(trackingId)
                .build();
        counters.failed(envelope.toString());
        Optional<Settlement> settlement = failurePolicy.onPermanentFailure(job.message, envelope);
        if (settlement.isEmpty()) {
            LOG.error("Permanent failure, stopping consumption ({} policy); fix the cause and restart: {}",
                    failurePolicy.name(), envelope);
            lanes.halt("failed: " + envelope.reasonCode());
            return Step.HALT;
        }
        LOG.warn("Dead-lettering: {}", envelope);
        // a custom policy may hand the message back instead: then the broker delivers it again
        settler.settle(job, settlement.get(), settlement.get().kind() == Settlement.Kind.RETRY
                ? PipelineCounters.Outcome.RELEASED : PipelineCounters.Outcome.DEAD_LETTERED);
        return Step.DONE;
    }

    /** The last resort when processing itself broke: hand the message back so that the lane survives. */
    Step unexpected(Job<?> job, Throwable t) {
        LOG.error("Unexpected failure processing {}; handing it back to the broker", job.event(), t);
        counters.failed(t.toString());
        try {
            settler.settle(job, Settlement.retryAfter(backoff.delay(job.retryNumber() + 1)), PipelineCounters.Outcome.RELEASED);
        } catch (Throwable settling) {
            LOG.error("Could not hand {} back either; it returns to the broker when the source closes",
                    job.message.coordinates(), settling);
        }
        return Step.DONE;
    }
}
