package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.pipeline.internal.LeaseKeeper;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.Settlement;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The path of one message: on the source's thread, size check -> decode -> Bean Validation
 * ({@link #admit}); then on a worker, in its lane's turn, business validators -> idempotency claim
 * -> handler -> complete -> acknowledge ({@link #run}). Says which kind of failure happened and
 * leaves what it becomes to {@link FailureRouter}; never decides when a message runs ({@link Lanes}).
 */
final class MessageProcessor<T> {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);

    private final MessageContract<T> contract;
    private final MessageHandler<T> handler;
    private final List<BusinessValidator<T>> validators;
    private final Validator beanValidator;
    private final IdempotencyStore idempotencyStore;
    private final LeaseKeeper leases;
    private final PipelineConfig config;
    private final Lanes<T> lanes;
    private final FailureRouter failures;
    private final Settler settler;
    private final PipelineCounters counters;
    private final SafeListener listener;

    MessageProcessor(MessageContract<T> contract, MessageHandler<T> handler, List<BusinessValidator<T>> validators,
                     Validator beanValidator, IdempotencyStore idempotencyStore, LeaseKeeper leases,
                     PipelineConfig config, Lanes<T> lanes, FailureRouter failures, Settler settler,
                     PipelineCounters counters, SafeListener listener) {
        this.contract = contract;
        this.handler = handler;
        this.validators = validators;
        this.beanValidator = beanValidator;
        this.idempotencyStore = idempotencyStore;
        this.leases = leases;
        this.config = config;
        this.lanes = lanes;
        this.failures = failures;
        this.settler = settler;
        this.counters = counters;
        this.listener = listener;
    }

    // ---- receiving (source threads) ---------------------------------------------------------

    /** Takes a message from the source: checks and decodes it, then queues it in its key's lane. */
    void admit(InboundMessage message) {
        counters.received.increment();
        listener.tell(l -> l.onReceived(message.coordinates()));
        if (lanes.isClosed()) {
            counters.refusedAfterClose(); // left unsettled: the source returns it to the broker when it closes
            return;
        }
        Job<T> job = new Job<>(message, contract, config.retryInProcessAttempts());
        counters.admitted(job);
        lanes.inFlightChanged();
        try {
            if (message.payload().length > config.maxPayloadBytes()) {
                throw new PermanentFailure(ReasonCodes.PAYLOAD_TOO_LARGE, "payload is " + message.payload().length
                        + " bytes, the limit is " + config.maxPayloadBytes() + " (max-payload-bytes); split the usage into "
                        + "several messages");
            }
            T decoded = contract.decode(message);
            job.decoded = decoded;
            checkAnnotations(decoded);
            lanes.enqueue(job, contract.orderingKey(decoded));
        } catch (PermanentFailure e) {
            job.runs = 1;
            failures.permanentFailure(job, e);
        } catch (RuntimeException e) {
            job.runs = 1;
            failures.permanentFailure(job, new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD,
                    "payload could not be decoded: " + e.getMessage(), e));
        }
    }

    private void checkAnnotations(T decoded) {
        Set<ConstraintViolation<T>> violations = beanValidator.validate(decoded);
        if (!violations.isEmpty()) {
            String text = violations.stream()
                    .map(v -> v.getPropertyPath() + ": " + v.getMessage())
                    .sorted()
                    .collect(Collectors.joining("; "));
            throw new PermanentFailure(ReasonCodes.INVALID_MESSAGE, text, contract.tenant(decoded),
                    contract.trackingId(decoded), null);
        }
    }

    // ---- one run (worker threads) -----------------------------------------------------------

    /** {@link #process}, with a last resort for what even it does not expect: the lane must survive. */
    Step run(Job<T> job) {
        try {
            return process(job);
        } catch (Throwable t) {
            return failures.unexpected(job, t);
        }
    }

    private Step process(Job<T> job) {
        job.runs++;
        counters.resumed(job);
        IdempotencyKey key = null;
        String token = null;
        try {
            for (BusinessValidator<T> v : validators) {
                v.validate(job.decoded, job);
            }
            key = contract.idempotencyKey(job.decoded).orElse(null);
            if (key != null) {
                ClaimResult claim = idempotencyStore.claim(key, contract.fingerprint(job.decoded), config.idempotencyLease());
                switch (claim.status()) {
                    case DUPLICATE:
                        settler.settle(job, Settlement.ack(), PipelineCounters.Outcome.DUPLICATE);
                        LOG.info("Duplicate acknowledged without handling: {}", job.event());
                        listener.tell(l -> l.onDuplicate(job.event()));
                        return Step.DONE;
                    case CONFLICT:
                        throw new PermanentFailure(ReasonCodes.IDEMPOTENCY_CONFLICT, "tracking id '" + key.id()
                                + "' was already used for different content under " + key.namespace() + '/' + key.scope()
                                + "; if this is new data, publish it with a new tracking id", job.tenant(), key.id(), null);
                    case IN_PROGRESS:
                        return failures.claimHeldElsewhere(job, key);
                    case CLAIMED:
                    default:
                        token = claim.claimToken();
                        job.earlierAttemptMayHaveWritten = claim.isTakenOver();
                        job.waitingForClaim = false;
                }
            } else {
                job.earlierAttemptMayHaveWritten = true;
            }
            MessageHandler.Outcome outcome;
            if (key != null) {
                leases.hold(key, token);
            }
            try {
                outcome = handler.handle(job.decoded, job);
            } catch (PermanentFailure e) {
                // the downstream refused the message: nothing was written, a corrected copy is new
                giveUpClaim(key, token, false);
                token = null;
                throw e;
            } catch (Throwable e) {
                // whether the downstream was reached is unknown: the next claim must say so
                giveUpClaim(key, token, true);
                token = null;
                throw e;
            } finally {
                if (key != null) {
                    leases.release(key);
                }
            }
            if (key != null) {
                try {
                    idempotencyStore.complete(key, token);
                } catch (RuntimeException e) {
                    // The work is done downstream; acknowledging is right. The claim expires after its
                    // lease, and a later copy is then caught by the downstream's own check.
                    LOG.warn("Handled but could not mark {} completed in the idempotency store: {}", key, e.toString());
                }
            }
            boolean alreadyProcessed = outcome == MessageHandler.Outcome.ALREADY_PROCESSED;
            settler.settle(job, Settlement.ack(),
                    alreadyProcessed ? PipelineCounters.Outcome.DUPLICATE : PipelineCounters.Outcome.PROCESSED);
            if (alreadyProcessed) {
                LOG.info("Downstream already had it, acknowledged: {}", job.event());
                listener.tell(l -> l.onDuplicate(job.event()));
            } else {
                if (LOG.isDebugEnabled()) { // the event is built per message: only when it is logged
                    LOG.debug("Processed: {}", job.event());
                }
                listener.tell(l -> l.onProcessed(job.event()));
            }
            lanes.succeeded();
            return Step.DONE;
        } catch (PermanentFailure e) {
            giveUpClaim(key, token, false);
            return failures.permanentFailure(job, e);
        } catch (TransientFailure e) {
            giveUpClaim(key, token, true);
            // a held message is no news about the downstream: the circuit must not pause other keys for it
            return failures.transientFailure(job, e, !(e instanceof HeldFailure), true);
        } catch (Throwable e) {
            // Errors too (a StackOverflowError, an ExceptionInInitializerError): the lane must survive.
            giveUpClaim(key, token, true);
            return failures.unclassifiedFailure(job, e);
        }
    }

    /**
     * Gives a claim up without completing it, so that the message can be claimed again at once.
     *
     * @param downstreamMayHaveBeenReached true: abandon, the next claim is told that an earlier
     *        attempt may have written; false: release, nothing was written and a copy starts clean
     */
    private void giveUpClaim(IdempotencyKey key, String token, boolean downstreamMayHaveBeenReached) {
        if (key == null || token == null) {
            return;
        }
        try {
            if (downstreamMayHaveBeenReached) {
                idempotencyStore.abandon(key, token);
            } else {
                idempotencyStore.release(key, token);
            }
        } catch (RuntimeException e) {
            LOG.warn(downstreamMayHaveBeenReached
                    ? "Could not give up the claim on {} (this node takes it back at its next try, others after its lease): {}"
                    : "Could not release claim on {} (it expires after its lease): {}", key, e.toString());
        }
    }
}
