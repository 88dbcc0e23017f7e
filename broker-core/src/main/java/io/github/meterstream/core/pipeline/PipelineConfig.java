package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.failure.FailurePolicy;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import static io.github.meterstream.core.config.ConfigKey.atLeast;
import static io.github.meterstream.core.config.ConfigKey.notNegative;
import static io.github.meterstream.core.config.ConfigKey.positive;

/**
 * How a {@link ConsumerPipeline} bounds its work, retries transient failures and settles permanent
 * ones. Immutable; every value has a named default; {@link Builder#build()} and {@link
 * #from(ConfigValues)} check every rule and name the key that breaks one.
 */
public final class PipelineConfig {

    public static final int DEFAULT_MAX_IN_FLIGHT = 1000;
    public static final int DEFAULT_CONCURRENCY = 8;
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_RETRY_INITIAL_DELAY = Duration.ofMillis(200);
    public static final double DEFAULT_RETRY_MULTIPLIER = 2.0;
    public static final Duration DEFAULT_RETRY_MAX_DELAY = Duration.ofSeconds(30);
    public static final double DEFAULT_RETRY_JITTER = 0.2;
    public static final int DEFAULT_RETRY_IN_PROCESS_ATTEMPTS = 3;
    public static final int DEFAULT_CIRCUIT_FAILURE_THRESHOLD = 5;
    public static final Duration DEFAULT_CIRCUIT_OPEN_DURATION = Duration.ofSeconds(1);
    public static final Duration DEFAULT_CIRCUIT_MAX_OPEN_DURATION = Duration.ofSeconds(60);
    public static final int DEFAULT_UNCLASSIFIED_MAX_ATTEMPTS = 5;
    public static final Duration DEFAULT_IDEMPOTENCY_LEASE = Duration.ofMinutes(1);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    public static final ConfigKey<Integer> MAX_IN_FLIGHT = ConfigKey.integer("max-in-flight", DEFAULT_MAX_IN_FLIGHT,
            "Messages received but not yet settled. At this many the source is paused; it resumes at half.")
            .rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Integer> CONCURRENCY = ConfigKey.integer("concurrency", DEFAULT_CONCURRENCY,
            "Worker threads running the handler. Messages with different keys run in parallel; one key runs in order.")
            .rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Integer> MAX_PAYLOAD_BYTES = ConfigKey.integer("max-payload-bytes", DEFAULT_MAX_PAYLOAD_BYTES,
            "Larger payloads are dead-lettered as PAYLOAD_TOO_LARGE without being parsed.")
            .rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Duration> RETRY_INITIAL_DELAY = ConfigKey.duration("retry.initial-delay", DEFAULT_RETRY_INITIAL_DELAY,
            "Backoff before the first retry of a transient failure.").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Double> RETRY_MULTIPLIER = ConfigKey.decimal("retry.multiplier", DEFAULT_RETRY_MULTIPLIER,
            "Each further retry waits this many times longer.").rule(m -> m >= 1.0, "must be at least 1.0");
    public static final ConfigKey<Duration> RETRY_MAX_DELAY = ConfigKey.duration("retry.max-delay", DEFAULT_RETRY_MAX_DELAY,
            "Upper bound of the backoff.").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Double> RETRY_JITTER = ConfigKey.decimal("retry.jitter", DEFAULT_RETRY_JITTER,
            "Each delay is randomly shortened by up to this fraction, so that nodes do not retry in step.")
            .rule(j -> j >= 0.0 && j <= 1.0, "must be between 0.0 and 1.0");
    public static final ConfigKey<Integer> RETRY_IN_PROCESS_ATTEMPTS = ConfigKey.integer("retry.in-process-attempts",
            DEFAULT_RETRY_IN_PROCESS_ATTEMPTS,
            "Transient failures of one message retried in the pipeline (keeping its key's order) before it is handed back "
                    + "to the broker to be retried later. While the circuit is open nothing is handed back.")
            .rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Integer> CIRCUIT_FAILURE_THRESHOLD = ConfigKey.integer("circuit.failure-threshold",
            DEFAULT_CIRCUIT_FAILURE_THRESHOLD,
            "Consecutive transient failures (any message) that open the circuit: all consumption pauses until a probe succeeds.")
            .rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Duration> CIRCUIT_OPEN_DURATION = ConfigKey.duration("circuit.open-duration",
            DEFAULT_CIRCUIT_OPEN_DURATION, "Wait before the first probe once the circuit opened; doubles after each failed probe.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> CIRCUIT_MAX_OPEN_DURATION = ConfigKey.duration("circuit.max-open-duration",
            DEFAULT_CIRCUIT_MAX_OPEN_DURATION, "Longest wait between two probes.").rule(positive(), "must be longer than zero");
    public static final ConfigKey<String> FAILURE_POLICY = ConfigKey.choice("failure-policy", FailurePolicy.DEAD_LETTER,
            "What happens to a message that failed permanently: dead-letter it (and go on), or fail-stop (stop "
                    + "consuming, leave it unsettled, report unhealthy).", FailurePolicy.names().toArray(new String[0]));
    public static final ConfigKey<Integer> UNCLASSIFIED_MAX_ATTEMPTS = ConfigKey.integer("unclassified-failure.max-attempts",
            DEFAULT_UNCLASSIFIED_MAX_ATTEMPTS,
            "A handler exception that is neither permanent nor transient is retried like a transient one this many times, "
                    + "then treated as permanent (HANDLER_ERROR).").rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Duration> IDEMPOTENCY_LEASE = ConfigKey.duration("idempotency.lease", DEFAULT_IDEMPOTENCY_LEASE,
            "How long a claim protects a message being handled without news from its node. Renewed every third of it while "
                    + "the handler runs, so a slow call keeps its claim; a node that crashed or froze loses its claims after this "
                    + "(a node restarted under the same node id takes its own back at once).").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> CLOSE_TIMEOUT = ConfigKey.duration("close-timeout", DEFAULT_CLOSE_TIMEOUT,
            "On close, how long running handlers may finish; what is left is returned to the broker.").rule(notNegative(), "must not be negative");

    /** Every key of this config, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(MAX_IN_FLIGHT, CONCURRENCY, MAX_PAYLOAD_BYTES,
            RETRY_INITIAL_DELAY, RETRY_MULTIPLIER, RETRY_MAX_DELAY, RETRY_JITTER, RETRY_IN_PROCESS_ATTEMPTS,
            CIRCUIT_FAILURE_THRESHOLD, CIRCUIT_OPEN_DURATION, CIRCUIT_MAX_OPEN_DURATION, FAILURE_POLICY,
            UNCLASSIFIED_MAX_ATTEMPTS, IDEMPOTENCY_LEASE, CLOSE_TIMEOUT);

    private final int maxInFlight;
    private final int concurrency;
    private final int maxPayloadBytes;
    private final Duration retryInitialDelay;
    private final double retryMultiplier;
    private final Duration retryMaxDelay;
    private final double retryJitter;
    private final int retryInProcessAttempts;
    private final int circuitFailureThreshold;
    private final Duration circuitOpenDuration;
    private final Duration circuitMaxOpenDuration;
    private final String failurePolicy;
    private final int unclassifiedMaxAttempts;
    private final Duration idempotencyLease;
    private final Duration closeTimeout;

    private PipelineConfig(Builder b) {
        this.maxInFlight = b.maxInFlight;
        this.concurrency = b.concurrency;
        this.maxPayloadBytes = b.maxPayloadBytes;
        this.retryInitialDelay = b.retryInitialDelay;
        this.retryMultiplier = b.retryMultiplier;
        this.retryMaxDelay = b.retryMaxDelay;
        this.retryJitter = b.retryJitter;
        this.retryInProcessAttempts = b.retryInProcessAttempts;
        this.circuitFailureThreshold = b.circuitFailureThreshold;
        this.circuitOpenDuration = b.circuitOpenDuration;
        this.circuitMaxOpenDuration = b.circuitMaxOpenDuration;
        this.failurePolicy = b.failurePolicy;
        this.unclassifiedMaxAttempts = b.unclassifiedMaxAttempts;
        this.idempotencyLease = b.idempotencyLease;
        this.closeTimeout = b.closeTimeout;
    }

    public static PipelineConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads every key of {@link #KEYS} from {@code values}; unset keys take their defaults. */
    public static PipelineConfig from(ConfigValues values) {
        Builder b = new Builder();
        b.prefix = values.prefix();
        b.maxInFlight = values.get(MAX_IN_FLIGHT);
        b.concurrency = values.get(CONCURRENCY);
        b.maxPayloadBytes = values.get(MAX_PAYLOAD_BYTES);
        b.retryInitialDelay = values.get(RETRY_INITIAL_DELAY);
        b.retryMultiplier = values.get(RETRY_MULTIPLIER);
        b.retryMaxDelay = values.get(RETRY_MAX_DELAY);
        b.retryJitter = values.get(RETRY_JITTER);
        b.retryInProcessAttempts = values.get(RETRY_IN_PROCESS_ATTEMPTS);
        b.circuitFailureThreshold = values.get(CIRCUIT_FAILURE_THRESHOLD);
        b.circuitOpenDuration = values.get(CIRCUIT_OPEN_DURATION);
        b.circuitMaxOpenDuration = values.get(CIRCUIT_MAX_OPEN_DURATION);
        b.failurePolicy = values.get(FAILURE_POLICY);
        b.unclassifiedMaxAttempts = values.get(UNCLASSIFIED_MAX_ATTEMPTS);
        b.idempotencyLease = values.get(IDEMPOTENCY_LEASE);
        b.closeTimeout = values.get(CLOSE_TIMEOUT);
        return b.build();
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    public int concurrency() {
        return concurrency;
    }

    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    public Duration retryInitialDelay() {
        return retryInitialDelay;
    }

    public double retryMultiplier() {
        return retryMultiplier;
    }

    public Duration retryMaxDelay() {
        return retryMaxDelay;
    }

    public double retryJitter() {
        return retryJitter;
    }

    public int retryInProcessAttempts() {
        return retryInProcessAttempts;
    }

    public int circuitFailureThreshold() {
        return circuitFailureThreshold;
    }

    public Duration circuitOpenDuration() {
        return circuitOpenDuration;
    }

    public Duration circuitMaxOpenDuration() {
        return circuitMaxOpenDuration;
    }

    /** The name of the {@link FailurePolicy}. */
    public String failurePolicy() {
        return failurePolicy;
    }

    public int unclassifiedMaxAttempts() {
        return unclassifiedMaxAttempts;
    }

    public Duration idempotencyLease() {
        return idempotencyLease;
    }

    public Duration closeTimeout() {
        return closeTimeout;
    }

    @Override
    public String toString() {
        return "PipelineConfig{maxInFlight=" + maxInFlight + ", concurrency=" + concurrency
                + ", maxPayloadBytes=" + maxPayloadBytes + ", retryInitialDelay=" + retryInitialDelay
                + ", retryMultiplier=" + retryMultiplier + ", retryMaxDelay=" + retryMaxDelay
                + ", retryJitter=" + retryJitter + ", retryInProcessAttempts=" + retryInProcessAttempts
                + ", circuitFailureThreshold=" + circuitFailureThreshold + ", circuitOpenDuration=" + circuitOpenDuration
                + ", circuitMaxOpenDuration=" + circuitMaxOpenDuration + ", failurePolicy=" + failurePolicy
                + ", unclassifiedMaxAttempts=" + unclassifiedMaxAttempts
                + ", idempotencyLease=" + idempotencyLease
                + ", closeTimeout=" + closeTimeout + '}';
    }

    /** Builds a {@link PipelineConfig}; {@link #build()} checks every rule. */
    public static final class Builder {
        private String prefix = "";
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int concurrency = DEFAULT_CONCURRENCY;
        private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
        private Duration retryInitialDelay = DEFAULT_RETRY_INITIAL_DELAY;
        private double retryMultiplier = DEFAULT_RETRY_MULTIPLIER;
        private Duration retryMaxDelay = DEFAULT_RETRY_MAX_DELAY;
        private double retryJitter = DEFAULT_RETRY_JITTER;
        private int retryInProcessAttempts = DEFAULT_RETRY_IN_PROCESS_ATTEMPTS;
        private int circuitFailureThreshold = DEFAULT_CIRCUIT_FAILURE_THRESHOLD;
        private Duration circuitOpenDuration = DEFAULT_CIRCUIT_OPEN_DURATION;
        private Duration circuitMaxOpenDuration = DEFAULT_CIRCUIT_MAX_OPEN_DURATION;
        private String failurePolicy = FailurePolicy.DEAD_LETTER;
        private int unclassifiedMaxAttempts = DEFAULT_UNCLASSIFIED_MAX_ATTEMPTS;
        private Duration idempotencyLease = DEFAULT_IDEMPOTENCY_LEASE;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

        private Builder() {
        }

        public Builder maxInFlight(int v) {
            this.maxInFlight = v;
            return this;
        }

        public Builder concurrency(int v) {
            this.concurrency = v;
            return this;
        }

        public Builder maxPayloadBytes(int v) {
            this.maxPayloadBytes = v;
            return this;
        }

        public Builder retryInitialDelay(Duration v) {
            this.retryInitialDelay = v;
            return this;
        }

        public Builder retryMultiplier(double v) {
            this.retryMultiplier = v;
            return this;
        }

        public Builder retryMaxDelay(Duration v) {
            this.retryMaxDelay = v;
            return this;
        }

        public Builder retryJitter(double v) {
            this.retryJitter = v;
            return this;
        }

        public Builder retryInProcessAttempts(int v) {
            this.retryInProcessAttempts = v;
            return this;
        }

        public Builder circuitFailureThreshold(int v) {
            this.circuitFailureThreshold = v;
            return this;
        }

        public Builder circuitOpenDuration(Duration v) {
            this.circuitOpenDuration = v;
            return this;
        }

        public Builder circuitMaxOpenDuration(Duration v) {
            this.circuitMaxOpenDuration = v;
            return this;
        }

        public Builder failurePolicy(String v) {
            this.failurePolicy = v;
            return this;
        }

        public Builder unclassifiedMaxAttempts(int v) {
            this.unclassifiedMaxAttempts = v;
            return this;
        }

        public Builder idempotencyLease(Duration v) {
            this.idempotencyLease = v;
            return this;
        }

        public Builder closeTimeout(Duration v) {
            this.closeTimeout = v;
            return this;
        }

        /** Checks every rule (the same rules the keys declare) and the rules between keys. */
        public PipelineConfig build() {
            check(MAX_IN_FLIGHT, maxInFlight);
            check(CONCURRENCY, concurrency);
            check(MAX_PAYLOAD_BYTES, maxPayloadBytes);
            check(RETRY_INITIAL_DELAY, retryInitialDelay);
            check(RETRY_MULTIPLIER, retryMultiplier);
            check(RETRY_MAX_DELAY, retryMaxDelay);
            check(RETRY_JITTER, retryJitter);
            check(RETRY_IN_PROCESS_ATTEMPTS, retryInProcessAttempts);
            check(CIRCUIT_FAILURE_THRESHOLD, circuitFailureThreshold);
            check(CIRCUIT_OPEN_DURATION, circuitOpenDuration);
            check(CIRCUIT_MAX_OPEN_DURATION, circuitMaxOpenDuration);
            check(FAILURE_POLICY, failurePolicy);
            check(UNCLASSIFIED_MAX_ATTEMPTS, unclassifiedMaxAttempts);
            check(IDEMPOTENCY_LEASE, idempotencyLease);
            check(CLOSE_TIMEOUT, closeTimeout);
            if (retryMaxDelay.compareTo(retryInitialDelay) < 0) {
                throw new ConfigException(prefix + RETRY_MAX_DELAY.name(), "must not be shorter than "
                        + prefix + RETRY_INITIAL_DELAY.name() + " (" + retryInitialDelay + "), was " + retryMaxDelay);
            }
            if (circuitMaxOpenDuration.compareTo(circuitOpenDuration) < 0) {
                throw new ConfigException(prefix + CIRCUIT_MAX_OPEN_DURATION.name(), "must not be shorter than "
                        + prefix + CIRCUIT_OPEN_DURATION.name() + " (" + circuitOpenDuration + "), was " + circuitMaxOpenDuration);
            }
            return new PipelineConfig(this);
        }

        private <T> void check(ConfigKey<T> key, T value) {
            Objects.requireNonNull(value, key.name());
            // Re-parse through the key so that the builder and the properties path share one set of rules.
            key.parse(prefix + key.name(), value instanceof Duration ? ((Duration) value).toString() : String.valueOf(value));
        }
    }
}
