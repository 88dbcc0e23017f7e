package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.event.MessageEvent;
import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.failure.FailurePolicy;
import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.Settlement;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.pipeline.internal.Backoff;
import io.github.meterstream.core.pipeline.internal.CircuitBreaker;
import io.github.meterstream.core.pipeline.internal.LeaseKeeper;
import io.github.meterstream.core.internal.NamedThreadFactory;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * Consumes one {@link BrokerSource}: each message is decoded, validated, deduplicated, handled and
 * settled, exactly one settlement per message.
 *
 * <pre>
 *   BrokerSource -> accept: size check, decode, Bean Validation      (source thread)
 *                -> lane of its ordering key                          (one at a time per key)
 *                -> business validators -> idempotency claim -> handler (worker threads)
 *                -> settle: ack | retry later | dead-letter            (source confirms)
 * </pre>
 *
 * <h2>Ordering and concurrency</h2>
 * Messages with different {@link MessageContract#orderingKey ordering keys} are handled in
 * parallel on {@code concurrency} worker threads; messages with the same key one at a time, in the
 * order the source delivered them. A message waiting for an in-process retry holds its key.
 *
 * <h2>Bounded work</h2>
 * At most {@code max-in-flight} messages are received and unsettled; at that bound the source is
 * paused, and resumed at half of it. Nothing is buffered without limit.
 *
 * <h2>Failures</h2>
 * <ul>
 *   <li>{@link PermanentFailure} (bad payload, broken rule, conflicting reuse of an idempotency
 *       key): handed to the {@link FailurePolicy}, by default dead-lettered with a {@link
 *       DeadLetterEnvelope}; the messages behind it go on.</li>
 *   <li>{@link HeldFailure}: the message waits (its tenant's rules are unusable, another consumer
 *       holds its claim): retried like a transient failure, without counting toward the circuit.</li>
 *   <li>{@link TransientFailure}: retried with exponential backoff and jitter, in the pipeline first
 *       (keeping its key's order), then handed back to the broker with a delay. After {@code
 *       circuit.failure-threshold} consecutive transient failures the circuit opens: the source is
 *       paused and no handler runs until one probe succeeds; nothing is handed back or
 *       dead-lettered meanwhile. A transient failure is never dead-lettered and never dropped.</li>
 *   <li>Any other exception or error: retried in the pipeline (keeping its key's order, never
 *       handed back) up to {@code unclassified-failure.max-attempts} times, then permanent ({@link
 *       ReasonCodes#HANDLER_ERROR}). A lane always survives its handler, whatever it throws.</li>
 * </ul>
 * Backoff delays grow with the message's whole history, its {@link InboundMessage#deliveryAttempt()
 * delivery attempt} included, so that a message handed back again and again waits up to {@code
 * retry.max-delay}. Runs while the circuit is open, and waits for a claim held by another
 * consumer, are not the message's fault and count toward no limit.
 *
 * <h2>Delivery guarantee</h2>
 * The source delivers at least once. The idempotency store claims each message's key before the
 * handler runs and completes it after; a message delivered again after completion is acknowledged
 * as a duplicate without reaching the handler. The one window left is a crash between the
 * handler's success and {@code complete}: the claim's lease expires and the handler runs again, so
 * a handler whose downstream can tell "already done" (Kill Bill's tracking id check) should return
 * {@link MessageHandler.Outcome#ALREADY_PROCESSED}.
 *
 * @param <T> the decoded message type
 */
public final class ConsumerPipeline<T> implements AutoCloseable {

    /** Where a pipeline stands. */
    public enum State {
        CREATED,
        /** Consuming. */
        RUNNING,
        /** Source paused because {@code max-in-flight} messages are unsettled. */
        BACKPRESSURE,
        /** Source paused because the downstream keeps failing; waiting for a probe to succeed. */
        CIRCUIT_OPEN,
        /** Stopped by the fail-stop policy; restart the pipeline after fixing the cause. */
        FAILED,
        CLOSED
    }

    private enum PauseReason { BACKPRESSURE, CIRCUIT_OPEN, FAILED, CLOSING }

    private enum Step { DONE, RETRY, PARK, HALT }

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);
    private static final int JOBS_PER_TURN = 16;

    private final BrokerSource source;
    private final MessageContract<T> contract;
    private final MessageHandler<T> handler;
    private final List<BusinessValidator<T>> validators;
    private final IdempotencyStore idempotencyStore;
    private final PipelineConfig config;
    private final PipelineListener listener;
    private final FailurePolicy failurePolicy;
    private final Clock clock;
    private final Validator beanValidator;
    private final ValidatorFactory ownedValidatorFactory;
    private final Backoff backoff;
    private final LeaseKeeper leases;

    private final Object lock = new Object();
    private final Map<String, Lane> lanes = new HashMap<>();
    private final ArrayDeque<Lane> parked = new ArrayDeque<>();
    private final Set<PauseReason> pauseReasons = EnumSet.noneOf(PauseReason.class);
    private final CircuitBreaker circuit;
    private Lane probeLane;
    private boolean started;
    private volatile boolean closed;
    private volatile boolean backpressured;
    /** True while the circuit is closed with no failure counted: successes then skip the lock. */
    private volatile boolean downstreamHealthy = true;
    private volatile String lastError;

    private final ExecutorService workers;
    private final ScheduledExecutorService scheduler;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder received = new LongAdder();
    private final LongAdder processed = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();

    private ConsumerPipeline(Builder<T> b) {
        this.source = Objects.requireNonNull(b.source, "source");
        this.contract = b.contract;
        this.handler = Objects.requireNonNull(b.handler, "handler");
        this.validators = Collections.unmodifiableList(new ArrayList<>(b.validators));
        this.idempotencyStore = b.idempotencyStore == null ? new InMemoryIdempotencyStore() : b.idempotencyStore;
        this.config = b.config == null ? PipelineConfig.defaults() : b.config;
        this.listener = b.listener == null ? new PipelineListener() { } : b.listener;
        this.failurePolicy = b.failurePolicy == null
                ? FailurePolicy.named(PipelineConfig.FAILURE_POLICY.name(), config.failurePolicy()) : b.failurePolicy;
        this.clock = b.clock == null ? Clock.systemUTC() : b.clock;
        if (b.beanValidator != null) {
            this.beanValidator = b.beanValidator;
            this.ownedValidatorFactory = null;
        } else {
            this.ownedValidatorFactory = defaultValidatorFactory();
            this.beanValidator = ownedValidatorFactory.getValidator();
        }
        this.backoff = new Backoff(config.retryInitialDelay(), config.retryMultiplier(), config.retryMaxDelay(),
                config.retryJitter());
        this.circuit = new CircuitBreaker(config.circuitFailureThreshold(), config.circuitOpenDuration(),
                config.circuitMaxOpenDuration());
        String name = source.name();
        this.workers = Executors.newFixedThreadPool(config.concurrency(), new NamedThreadFactory("meterstream-" + name + "-worker"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(new NamedThreadFactory("meterstream-" + name + "-timer"));
        this.leases = new LeaseKeeper(idempotencyStore, config.idempotencyLease(), "meterstream-" + name + "-lease");
    }

    /**
     * Hibernate Validator, bootstrapped without the service loader or Jakarta EL so that it works
     * inside an OSGi bundle: the provider is named directly and messages use parameter
     * interpolation only. Public so that tools and tests validate a decoded message exactly as the
     * pipeline does; the caller closes the factory.
     */
    public static ValidatorFactory defaultValidatorFactory() {
        return Validation.byProvider(HibernateValidator.class)
                .providerResolver(() -> List.of(new HibernateValidator()))
                .configure()
                .messageInterpolator(new ParameterMessageInterpolator())
                .buildValidatorFactory();
    }

    public static <T> Builder<T> builder(MessageContract<T> contract) {
        return new Builder<>(Objects.requireNonNull(contract, "contract"));
    }

    /** Starts the source; messages flow from now on. Called once. */
    public void start() {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("pipeline for source " + source.name() + " was already started");
            }
            started = true;
        }
        LOG.info("Starting pipeline for source {} with {}", source.name(), config);
        source.start(this::accept);
    }

    /** A snapshot of the counters and the state. */
    public PipelineStats stats() {
        return new PipelineStats(source.name(), state(), received.sum(), processed.sum(), duplicates.sum(),
                retried.sum(), deadLettered.sum(), inFlight.get(), lastError);
    }

    public State state() {
        synchronized (lock) {
            if (closed) {
                return State.CLOSED;
            }
            if (!started) {
                return State.CREATED;
            }
            if (pauseReasons.contains(PauseReason.FAILED)) {
                return State.FAILED;
            }
            if (pauseReasons.contains(PauseReason.CIRCUIT_OPEN)) {
                return State.CIRCUIT_OPEN;
            }
            if (pauseReasons.contains(PauseReason.BACKPRESSURE)) {
                return State.BACKPRESSURE;
            }
            return State.RUNNING;
        }
    }

    /** The source this pipeline consumes. */
    public BrokerSource source() {
        return source;
    }

    public PipelineConfig config() {
        return config;
    }

    // ---- receiving (source threads) -----------------------------------------------------------

    private void accept(InboundMessage message) {
        received.increment();
        notifyListener(() -> listener.onReceived(message.coordinates()));
        if (closed) {
            return; // left unsettled: the source returns it to the broker when it closes
        }
        inFlight.incrementAndGet();
        updateBackpressure();
        Job job = new Job(message);
        try {
            if (message.payload().length > config.maxPayloadBytes()) {
                throw new PermanentFailure(ReasonCodes.PAYLOAD_TOO_LARGE, "payload is " + message.payload().length
                        + " bytes, the limit is " + config.maxPayloadBytes() + " (max-payload-bytes); split the usage into "
                        + "several messages");
            }
            T decoded = contract.decode(message);
            job.decoded = decoded;
            checkAnnotations(decoded);
            enqueue(job, contract.orderingKey(decoded));
        } catch (PermanentFailure e) {
            job.runs = 1;
            permanentFailure(job, e);
        } catch (RuntimeException e) {
            job.runs = 1;
            permanentFailure(job, new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD,
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

    // ---- lanes: one key at a time -------------------------------------------------------------

    private final class Lane {
        final String key;
        final ArrayDeque<Job> jobs = new ArrayDeque<>();
        boolean busy;

        Lane(String key) {
            this.key = key;
        }
    }

    private void enqueue(Job job, String key) {
        synchronized (lock) {
            Lane lane = lanes.computeIfAbsent(key == null ? "" : key, Lane::new);
            lane.jobs.add(job);
            if (!lane.busy) {
                lane.busy = true;
                dispatchLocked(lane);
            }
        }
    }

    /** Runs the lane on a worker, or parks it while the circuit is open. Caller holds the lock. */
    private void dispatchLocked(Lane lane) {
        if (closed) {
            return;
        }
        if (circuit.state() != CircuitBreaker.State.CLOSED && lane != probeLane) {
            parked.add(lane);
            return;
        }
        try {
            workers.execute(() -> runLane(lane));
        } catch (RejectedExecutionException e) {
            // closing: the lane's messages stay unsettled and go back to the broker
        }
    }

    private void runLane(Lane lane) {
        for (int turn = 0; turn < JOBS_PER_TURN; turn++) {
            Job job;
            synchronized (lock) {
                if (closed) {
                    return;
                }
                if (circuit.state() != CircuitBreaker.State.CLOSED && lane != probeLane) {
                    parked.add(lane);
                    return;
                }
                job = lane.jobs.peek();
            }
            Step step = processSafely(job);
            synchronized (lock) {
                switch (step) {
                    case DONE:
                        lane.jobs.poll();
                        if (lane.jobs.isEmpty()) {
                            lanes.remove(lane.key);
                            lane.busy = false;
                            if (lane == probeLane) {
                                // the probe lane ran dry without a verdict: let another parked lane probe
                                probeLane = null;
                                scheduleLocked(this::probe, Duration.ZERO);
                            }
                            return;
                        }
                        break;
                    case RETRY:
                        scheduleLocked(() -> redispatch(lane), job.nextDelay);
                        return;
                    case PARK:
                        if (lane == probeLane) {
                            probeLane = null;
                            if (circuit.state() == CircuitBreaker.State.HALF_OPEN) {
                                // The probe learned nothing about the downstream (its message waits for a
                                // claim held elsewhere): let another parked lane probe after a while,
                                // or nothing would ever close the circuit again.
                                scheduleLocked(this::probe, config.circuitOpenDuration());
                            }
                        }
                        if (circuit.state() == CircuitBreaker.State.CLOSED) {
                            // a probe closed the circuit between the failure and now: no reason to wait
                            dispatchLocked(lane);
                        } else {
                            parked.add(lane);
                        }
                        return;
                    case HALT:
                    default:
                        return; // fail-stop: the lane keeps its unsettled message until restart
                }
            }
        }
        synchronized (lock) {
            dispatchLocked(lane); // let other lanes have the workers for a while
        }
    }

    private void redispatch(Lane lane) {
        synchronized (lock) {
            dispatchLocked(lane);
        }
    }

    private void scheduleLocked(Runnable task, Duration delay) {
        if (closed) {
            return;
        }
        try {
            scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    // ---- one message (worker threads) ---------------------------------------------------------

    private final class Job implements MessageContext {
        final InboundMessage message;
        T decoded;
        int runs;
        /** Failures of this delivery that count toward hand-back and backoff. */
        int countedFailures;
        int unclassifiedFailures;
        boolean earlierAttemptMayHaveWritten = true;
        boolean waitingForClaim;
        Instant firstFailureAt;
        Instant lastFailureAt;
        Duration nextDelay;

        Job(InboundMessage message) {
            this.message = message;
        }

        @Override
        public SourceCoordinates coordinates() {
            return message.coordinates();
        }

        @Override
        public int deliveryAttempt() {
            return message.deliveryAttempt();
        }

        @Override
        public int pipelineAttempt() {
            return runs;
        }

        @Override
        public Map<String, String> headers() {
            return message.headers();
        }

        @Override
        public boolean earlierAttemptMayHaveWritten() {
            return earlierAttemptMayHaveWritten;
        }

        /** The retry number across the message's whole history, earlier deliveries included. */
        int retryNumber() {
            return (Math.max(1, message.deliveryAttempt()) - 1) * config.retryInProcessAttempts() + countedFailures;
        }

        String tenant() {
            return decoded == null ? null : contract.tenant(decoded);
        }

        String trackingId() {
            return decoded == null ? null : contract.trackingId(decoded);
        }

        MessageEvent event() {
            return new MessageEvent(message.coordinates(), tenant(), trackingId(), runs);
        }
    }

    /** {@link #process}, with a last resort for what even it does not expect: the lane must survive. */
    private Step processSafely(Job job) {
        try {
            return process(job);
        } catch (Throwable t) {
            LOG.error("Unexpected failure processing {}; handing it back to the broker", job.event(), t);
            lastError = t.toString();
            try {
                settle(job, Settlement.retryAfter(backoff.delay(job.retryNumber() + 1)));
            } catch (Throwable settling) {
                LOG.error("Could not hand {} back either; it returns to the broker when the source closes",
                        job.message.coordinates(), settling);
            }
            return Step.DONE;
        }
    }

    private Step process(Job job) {
        job.runs++;
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
                        settle(job, Settlement.ack());
                        duplicates.increment();
                        LOG.info("Duplicate acknowledged without handling: {}", job.event());
                        notifyListener(() -> listener.onDuplicate(job.event()));
                        return Step.DONE;
                    case CONFLICT:
                        throw new PermanentFailure(ReasonCodes.IDEMPOTENCY_CONFLICT, "tracking id '" + key.id()
                                + "' was already used for different content under " + key.namespace() + '/' + key.scope()
                                + "; if this is new data, publish it with a new tracking id", job.tenant(), key.id(), null);
                    case IN_PROGRESS:
                        return claimHeldElsewhere(job, key);
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
                releaseQuietly(key, token);
                token = null;
                throw e;
            } catch (Throwable e) {
                // whether the downstream was reached is unknown: the next claim must say so
                abandonQuietly(key, token);
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
            settle(job, Settlement.ack());
            if (outcome == MessageHandler.Outcome.ALREADY_PROCESSED) {
                duplicates.increment();
                LOG.info("Downstream already had it, acknowledged: {}", job.event());
                notifyListener(() -> listener.onDuplicate(job.event()));
            } else {
                processed.increment();
                LOG.debug("Processed: {}", job.event());
                notifyListener(() -> listener.onProcessed(job.event()));
            }
            downstreamSucceeded();
            return Step.DONE;
        } catch (PermanentFailure e) {
            releaseQuietly(key, token);
            return permanentFailure(job, e);
        } catch (TransientFailure e) {
            abandonQuietly(key, token);
            // a held message is no news about the downstream: the circuit must not pause other keys for it
            return transientFailure(job, e, !(e instanceof HeldFailure), true);
        } catch (Throwable e) {
            // Errors too (a StackOverflowError, an ExceptionInInitializerError): the lane must survive.
            abandonQuietly(key, token);
            job.unclassifiedFailures++;
            if (job.unclassifiedFailures >= config.unclassifiedMaxAttempts()) {
                return permanentFailure(job, new PermanentFailure(ReasonCodes.HANDLER_ERROR, "processing failed "
                        + job.unclassifiedFailures + " times with an unexpected error: " + e, job.tenant(),
                        job.trackingId(), e));
            }
            // retried here, never handed back: a hand-back would start the count again
            return transientFailure(job, e, true, false);
        }
    }

    /** Another consumer is handling the same message right now: wait, without blaming the downstream. */
    private Step claimHeldElsewhere(Job job, IdempotencyKey key) {
        if (!job.waitingForClaim) {
            job.waitingForClaim = true; // said once per message, not at every retry
            LOG.info("Another consumer holds the claim on {}; waiting for it: {}", key, job.event());
        }
        return transientFailure(job, new HeldFailure("CLAIM_HELD", "another consumer holds the claim on " + key
                + "; it is being handled there", job.tenant(), key.id(), null), false, true);
    }

    private void abandonQuietly(IdempotencyKey key, String token) {
        if (key == null || token == null) {
            return;
        }
        try {
            idempotencyStore.abandon(key, token);
        } catch (RuntimeException e) {
            LOG.warn("Could not give up the claim on {} (this node takes it back at its next try, others after its"
                    + " lease): {}", key, e.toString());
        }
    }

    private void releaseQuietly(IdempotencyKey key, String token) {
        if (key == null || token == null) {
            return;
        }
        try {
            idempotencyStore.release(key, token);
        } catch (RuntimeException e) {
            LOG.warn("Could not release claim on {} (it expires after its lease): {}", key, e.toString());
        }
    }

    /**
     * @param blamesDownstream counts toward the circuit (not so for a claim held elsewhere)
     * @param mayHandBack      after {@code retry.in-process-attempts} counted failures the message
     *                         goes back to the broker; unclassified failures stay here to reach their limit
     */
    private Step transientFailure(Job job, Throwable cause, boolean blamesDownstream, boolean mayHandBack) {
        Instant now = clock.instant();
        if (job.firstFailureAt == null) {
            job.firstFailureAt = now;
        }
        job.lastFailureAt = now;
        if (blamesDownstream) {
            lastError = cause.toString();
        }
        retried.increment();
        synchronized (lock) {
            if (blamesDownstream) {
                downstreamHealthy = false;
                Duration open = circuit.onFailure();
                if (open != null) {
                    openCircuitLocked(open, cause);
                }
            }
            if (circuit.state() != CircuitBreaker.State.CLOSED) {
                LOG.debug("Transient failure while the circuit is open, message waits: {}: {}", job.event(), cause.toString());
                notifyListener(() -> listener.onRetried(job.event(), Duration.ZERO, cause));
                return Step.PARK;
            }
        }
        // Counted only now: a run parked by the open circuit says nothing about this message.
        job.countedFailures++;
        Duration delay = backoff.delay(job.retryNumber());
        notifyListener(() -> listener.onRetried(job.event(), delay, cause));
        if (mayHandBack && job.countedFailures >= config.retryInProcessAttempts()) {
            if (blamesDownstream) {
                LOG.warn("Transient failure {} times, handing back to the broker for a retry in {}: {}: {}",
                        job.countedFailures, delay, job.event(), cause.toString());
            } else {
                LOG.debug("Still waiting for a claim, handing back to the broker for a retry in {}: {}", delay, job.event());
            }
            settle(job, Settlement.retryAfter(delay));
            return Step.DONE;
        }
        if (blamesDownstream) {
            LOG.info("Transient failure, retrying in {}: {}: {}", delay, job.event(), cause.toString());
        }
        job.nextDelay = delay;
        return Step.RETRY;
    }

    private Step permanentFailure(Job job, PermanentFailure failure) {
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
        lastError = envelope.toString();
        Optional<Settlement> settlement = failurePolicy.onPermanentFailure(job.message, envelope);
        if (settlement.isEmpty()) {
            LOG.error("Permanent failure, stopping consumption ({} policy); fix the cause and restart: {}",
                    failurePolicy.name(), envelope);
            synchronized (lock) {
                addPauseReasonLocked(PauseReason.FAILED, "failed: " + envelope.reasonCode());
            }
            return Step.HALT;
        }
        LOG.warn("Dead-lettering: {}", envelope);
        settle(job, settlement.get());
        return Step.DONE;
    }

    private void settle(Job job, Settlement settlement) {
        CompletionStage<Void> stage = job.message.settle(settlement);
        stage.whenComplete((ok, failure) -> {
            inFlight.decrementAndGet();
            updateBackpressure();
            Throwable error = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (error != null) {
                lastError = "settlement " + settlement + " failed for " + job.message.coordinates() + ": " + error;
                LOG.error("Settlement {} failed for {}; the source delivers the message again: {}",
                        settlement, job.message.coordinates(), error.toString());
            } else if (settlement.kind() == Settlement.Kind.DEAD_LETTER) {
                deadLettered.increment();
                notifyListener(() -> listener.onDeadLettered(job.event(), settlement.envelope()));
            }
        });
    }

    // ---- circuit and flow control -------------------------------------------------------------

    private void openCircuitLocked(Duration probeIn, Throwable cause) {
        LOG.warn("Downstream failing ({}); circuit open: consumption of source {} paused, next probe in {}",
                cause.toString(), source.name(), probeIn);
        addPauseReasonLocked(PauseReason.CIRCUIT_OPEN, "circuit open: " + cause);
        scheduleLocked(this::probe, probeIn);
    }

    private void probe() {
        synchronized (lock) {
            if (closed || circuit.state() == CircuitBreaker.State.CLOSED) {
                return;
            }
            circuit.halfOpen();
            Lane lane = parked.poll();
            if (lane == null) {
                LOG.info("Circuit half-open with nothing waiting; resuming source {}", source.name());
                circuit.closeTentatively();
                removePauseReasonLocked(PauseReason.CIRCUIT_OPEN);
                return;
            }
            LOG.info("Circuit half-open: probing the downstream with one message of source {}", source.name());
            probeLane = lane;
            dispatchLocked(lane);
        }
    }

    private void downstreamSucceeded() {
        if (downstreamHealthy) {
            return; // the common case needs no lock
        }
        synchronized (lock) {
            downstreamHealthy = true;
            if (circuit.onSuccess()) {
                LOG.info("Probe succeeded; circuit closed, resuming source {} ({} keys waiting)", source.name(), parked.size());
                probeLane = null;
                removePauseReasonLocked(PauseReason.CIRCUIT_OPEN);
                while (!parked.isEmpty()) {
                    dispatchLocked(parked.poll());
                }
            }
        }
    }

    private void updateBackpressure() {
        int n = inFlight.get();
        // Fast path without the lock: most calls cross no threshold.
        if (backpressured ? n > config.maxInFlight() / 2 : n < config.maxInFlight()) {
            return;
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            n = inFlight.get();
            if (n >= config.maxInFlight()) {
                backpressured = true;
                addPauseReasonLocked(PauseReason.BACKPRESSURE, "back-pressure: " + n + " messages in flight");
            } else if (n <= config.maxInFlight() / 2) {
                backpressured = false;
                removePauseReasonLocked(PauseReason.BACKPRESSURE);
            }
        }
    }

    private void addPauseReasonLocked(PauseReason reason, String text) {
        boolean wasRunning = pauseReasons.isEmpty();
        if (pauseReasons.add(reason)) {
            if (wasRunning) {
                source.pause();
            }
            // reported for every new reason: a circuit opening while back-pressure already paused the source still matters
            notifyListener(() -> listener.onPaused(source.name(), text));
        }
    }

    private void removePauseReasonLocked(PauseReason reason) {
        if (pauseReasons.remove(reason) && pauseReasons.isEmpty()) {
            source.resume();
            notifyListener(() -> listener.onResumed(source.name()));
        }
    }

    private void notifyListener(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("PipelineListener threw; ignored", e);
        }
    }

    // ---- closing ------------------------------------------------------------------------------

    /**
     * Stops consuming: lets running handlers finish within {@code timeout}, then closes the source,
     * which returns every unsettled message to the broker. Idempotent.
     */
    public void close(Duration timeout) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            addPauseReasonLocked(PauseReason.CLOSING, "closing");
            closed = true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        scheduler.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("Handlers of source {} still running after {}; closing the source anyway", source.name(), timeout);
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.shutdownNow();
        }
        leases.close();
        long leftNanos = Math.max(0L, deadline - System.nanoTime());
        // Every message still unsettled now will not be settled by this pipeline: the source need not wait for them.
        source.close(Duration.ofNanos(Math.min(leftNanos, Duration.ofSeconds(1).toNanos())));
        if (ownedValidatorFactory != null) {
            ownedValidatorFactory.close();
        }
        LOG.info("Pipeline for source {} closed: {}", source.name(), stats());
    }

    /** {@link #close(Duration)} with {@code close-timeout} from the configuration. */
    @Override
    public void close() {
        close(config.closeTimeout());
    }

    /** Builds a {@link ConsumerPipeline}. */
    public static final class Builder<T> {
        private final MessageContract<T> contract;
        private final List<BusinessValidator<T>> validators = new ArrayList<>();
        private BrokerSource source;
        private MessageHandler<T> handler;
        private IdempotencyStore idempotencyStore;
        private PipelineConfig config;
        private PipelineListener listener;
        private FailurePolicy failurePolicy;
        private Clock clock;
        private Validator beanValidator;

        private Builder(MessageContract<T> contract) {
            this.contract = contract;
        }

        public Builder<T> source(BrokerSource source) {
            this.source = source;
            return this;
        }

        public Builder<T> handler(MessageHandler<T> handler) {
            this.handler = handler;
            return this;
        }

        /** Adds a rule checked after Bean Validation, in the order added. */
        public Builder<T> validator(BusinessValidator<T> validator) {
            this.validators.add(Objects.requireNonNull(validator, "validator"));
            return this;
        }

        /** Default: a new {@link InMemoryIdempotencyStore}. */
        public Builder<T> idempotencyStore(IdempotencyStore store) {
            this.idempotencyStore = store;
            return this;
        }

        /** Default: {@link PipelineConfig#defaults()}. */
        public Builder<T> config(PipelineConfig config) {
            this.config = config;
            return this;
        }

        public Builder<T> listener(PipelineListener listener) {
            this.listener = listener;
            return this;
        }

        /** Default: the policy named by {@link PipelineConfig#failurePolicy()}. */
        public Builder<T> failurePolicy(FailurePolicy failurePolicy) {
            this.failurePolicy = failurePolicy;
            return this;
        }

        /** The clock for failure timestamps in envelopes. Default: UTC system clock. */
        public Builder<T> clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** A Bean Validation validator to use instead of the built-in Hibernate Validator. */
        public Builder<T> beanValidator(Validator validator) {
            this.beanValidator = validator;
            return this;
        }

        public ConsumerPipeline<T> build() {
            return new ConsumerPipeline<>(this);
        }
    }
}
