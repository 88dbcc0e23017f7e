package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.failure.FailurePolicy;
import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.deadletter.DeadLetterStore;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.internal.NamedThreadFactory;
import io.github.meterstream.core.pipeline.internal.LeaseKeeper;
import io.github.meterstream.core.pipeline.internal.Scheduler;
import io.github.meterstream.core.pipeline.internal.TimeSource;
import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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
 * <h2>Inside</h2>
 * This class only builds, starts and closes the parts, each named for what it does:
 * {@code MessageProcessor} (the path of one message), {@code Lanes} (one key at a time; the one
 * owner of the lock), {@code Workers} (the worker threads and when one is woken), {@code
 * FlowControl} (circuit and pause reasons), {@code FailureRouter} (what a failure becomes), {@code
 * Settler} (the last step of every message) and {@code PipelineCounters}.
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

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);

    private final BrokerSource source;
    private final PipelineConfig config;
    private final ValidatorFactory ownedValidatorFactory;
    private final Scheduler scheduler;
    private final LeaseKeeper leases;
    private final PipelineCounters counters;
    private final Lanes<T> lanes;
    private final MessageProcessor<T> processor;
    private final DeadLetterCopies deadLetterCopies;

    private ConsumerPipeline(Builder<T> b) {
        this.source = Objects.requireNonNull(b.source, "source");
        MessageHandler<T> handler = Objects.requireNonNull(b.handler, "handler");
        this.config = b.config == null ? PipelineConfig.defaults() : b.config;
        IdempotencyStore idempotencyStore = b.idempotencyStore == null ? new InMemoryIdempotencyStore() : b.idempotencyStore;
        FailurePolicy failurePolicy = b.failurePolicy == null
                ? FailurePolicy.named(PipelineConfig.FAILURE_POLICY.name(), config.failurePolicy()) : b.failurePolicy;
        TimeSource time = b.time == null ? TimeSource.system() : b.time;
        Clock clock = b.clock == null ? time.clock() : b.clock;
        this.counters = new PipelineCounters(clock);
        Validator beanValidator;
        if (b.beanValidator != null) {
            beanValidator = b.beanValidator;
            this.ownedValidatorFactory = null;
        } else {
            this.ownedValidatorFactory = defaultValidatorFactory();
            beanValidator = ownedValidatorFactory.getValidator();
        }
        String name = "meterstream-" + source.name();
        this.scheduler = time.scheduler(name + "-timer");
        this.leases = new LeaseKeeper(idempotencyStore, config.idempotencyLease(), time.scheduler(name + "-lease"));

        SafeListener listener = new SafeListener(b.listener);
        FlowControl flow = new FlowControl(source, listener, config);
        this.lanes = new Lanes<>(source, flow, new NamedThreadFactory(name + "-worker"), scheduler, config, counters, this::run);
        this.deadLetterCopies = b.deadLetterStore == null ? null : new DeadLetterCopies(b.deadLetterStore, source.name());
        Settler settler = new Settler(counters, lanes, listener, deadLetterCopies);
        FailureRouter failures = new FailureRouter(config, failurePolicy, clock, lanes, settler, counters, listener);
        this.processor = new MessageProcessor<>(b.contract, handler, List.copyOf(b.validators), beanValidator,
                idempotencyStore, leases, config, lanes, failures, settler, counters, listener);
    }

    /** A lane's worker runs one message; only called once the pipeline has started. */
    private Step run(Job<T> job) {
        return processor.run(job);
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
        lanes.markStarted();
        LOG.info("Starting pipeline for source {} with {}", source.name(), config);
        try {
            source.start(processor::admit);
        } catch (RuntimeException | Error e) {
            counters.failed("source " + source.name() + " failed to start: " + AbstractBrokerSource.describe(e));
            throw e;
        }
    }

    /** A snapshot of the counters and the state. */
    public PipelineStats stats() {
        return counters.snapshot(source.name(), state());
    }

    public State state() {
        return lanes.state();
    }

    /** The source this pipeline consumes. */
    public BrokerSource source() {
        return source;
    }

    public PipelineConfig config() {
        return config;
    }

    /**
     * Stops consuming: lets running handlers finish within {@code timeout}, then closes the source,
     * which returns every unsettled message to the broker. Idempotent.
     */
    public void close(Duration timeout) {
        List<Thread> workers = lanes.close();
        if (workers == null) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        scheduler.close();
        try {
            if (!Lanes.awaitWorkers(workers, timeout)) {
                LOG.warn("Handlers of source {} still running after {}; closing the source anyway", source.name(), timeout);
                workers.forEach(Thread::interrupt);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.forEach(Thread::interrupt);
        }
        leases.close();
        long leftNanos = Math.max(0L, deadline - System.nanoTime());
        // Every message still unsettled now will not be settled by this pipeline: the source need not wait for them.
        source.close(Duration.ofNanos(Math.min(leftNanos, Duration.ofSeconds(1).toNanos())));
        counters.releaseUnsettled(); // the source's close gave them back to the broker
        if (deadLetterCopies != null) {
            // the source confirmed its last dead letters while closing: their copies get a short while to be written
            deadLetterCopies.close(Duration.ofSeconds(2));
            LOG.info("Dead-letter store of source {}: {} copies written, {} lost (in the broker's dead-letter destination only)",
                    source.name(), deadLetterCopies.stored(), deadLetterCopies.lost());
        }
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
        private TimeSource time;
        private Validator beanValidator;
        private DeadLetterStore deadLetterStore;

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

        /**
         * For tests: where the pipeline reads the time and schedules its retries, circuit probes and
         * lease renewals, so that a test moves time ({@link io.github.meterstream.core.pipeline.internal.ManualTime})
         * instead of waiting for it. Not an API to build on: the type is internal and may change.
         * Default: the system clock and real timer threads. A {@link #clock(Clock)} set too wins for
         * failure timestamps.
         */
        public Builder<T> timeSource(TimeSource time) {
            this.time = time;
            return this;
        }

        /** A Bean Validation validator to use instead of the built-in Hibernate Validator. */
        public Builder<T> beanValidator(Validator validator) {
            this.beanValidator = validator;
            return this;
        }

        /**
         * Keeps a searchable copy of every message the source confirmed as dead-lettered (see {@link
         * io.github.meterstream.core.deadletter}). Written off the source's threads and bounded; a
         * copy the store cannot take is logged and lost from the store only. Default: none.
         */
        public Builder<T> deadLetterStore(DeadLetterStore store) {
            this.deadLetterStore = store;
            return this;
        }

        public ConsumerPipeline<T> build() {
            return new ConsumerPipeline<>(this);
        }
    }
}
