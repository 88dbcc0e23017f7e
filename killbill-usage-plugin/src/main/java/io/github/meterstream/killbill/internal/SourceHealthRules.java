package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.killbill.MeterstreamConfigProperties;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * When one source is healthy, in one place: every rule, the bound it uses and the key that sets the
 * bound. A source is {@link Verdict#HEALTHY} only if it started, is connected, consumes destinations
 * that exist and settles what it receives; otherwise the verdict is DEGRADED with a reason that names
 * the key (or the destination) to look at. The first rule that fails gives the reason, in this order:
 * could not start, closed, not connected within {@code health.max-connecting}, disconnected longer than
 * {@code health.max-disconnected}, missing destinations, paused (circuit open, fail-stop) longer than
 * {@code health.max-paused}, oldest unsettled message older than {@code health.max-unsettled}.
 * docs/OPERATIONS.md lists the same rules for operators.
 */
final class SourceHealthRules {

    /** What the rules read about one running source, taken at one moment. */
    static final class Facts {
        final ConsumerPipeline.State pipeline;
        final SourceHealth connection;
        final List<String> missingDestinations;
        final Instant pausedSince;
        final String lastError;
        final Instant oldestUnsettledSince;

        /**
         * @param pausedSince when the pipeline paused the source, null while it consumes
         * @param oldestUnsettledSince when the oldest message still unsettled was received, null when none
         */
        Facts(ConsumerPipeline.State pipeline, SourceHealth connection, List<String> missingDestinations, Instant pausedSince,
              String lastError, Instant oldestUnsettledSince) {
            this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
            this.connection = Objects.requireNonNull(connection, "connection");
            this.missingDestinations = missingDestinations == null ? List.of() : List.copyOf(missingDestinations);
            this.pausedSince = pausedSince;
            this.lastError = lastError;
            this.oldestUnsettledSince = oldestUnsettledSince;
        }
    }

    /** A source's health: HEALTHY, or DEGRADED and why. */
    static final class Verdict {
        static final Verdict HEALTHY = new Verdict(null);

        final String reason;

        private Verdict(String reason) {
            this.reason = reason;
        }

        static Verdict degraded(String reason) {
            return new Verdict(Objects.requireNonNull(reason, "reason"));
        }

        boolean healthy() {
            return reason == null;
        }

        /** {@code HEALTHY} or {@code DEGRADED}, as the status page and the healthcheck details show it. */
        String name() {
            return healthy() ? "HEALTHY" : "DEGRADED";
        }

        @Override
        public String toString() {
            return healthy() ? name() : name() + ": " + reason;
        }
    }

    private static final String P = MeterstreamConfigProperties.PREFIX;

    private final Duration maxConnecting;
    private final Duration maxDisconnected;
    private final Duration maxPaused;
    private final Duration maxUnsettled;

    SourceHealthRules(Duration maxConnecting, Duration maxDisconnected, Duration maxPaused, Duration maxUnsettled) {
        this.maxConnecting = Objects.requireNonNull(maxConnecting, "maxConnecting");
        this.maxDisconnected = Objects.requireNonNull(maxDisconnected, "maxDisconnected");
        this.maxPaused = Objects.requireNonNull(maxPaused, "maxPaused");
        this.maxUnsettled = Objects.requireNonNull(maxUnsettled, "maxUnsettled");
    }

    static SourceHealthRules of(MeterstreamConfigProperties config) {
        return new SourceHealthRules(config.healthMaxConnecting(), config.healthMaxDisconnected(), config.healthMaxPaused(),
                config.healthMaxUnsettled());
    }

    /** A source that could not be built or started: always DEGRADED, with its error (which names the key). */
    static Verdict failedToStart(String error) {
        return Verdict.degraded("could not start: " + error);
    }

    Verdict evaluate(Facts f, Instant now) {
        SourceHealth h = f.connection;
        if (f.pipeline == ConsumerPipeline.State.CLOSED || h.state() == SourceHealth.State.CLOSED) {
            return Verdict.degraded("closed: it consumes nothing until the plugin is restarted");
        }
        boolean connecting = h.state() == SourceHealth.State.CONNECTING || h.state() == SourceHealth.State.NOT_STARTED;
        if (connecting && reached(h.since(), now, maxConnecting)) {
            return Verdict.degraded("not connected since " + h.since() + ", longer than " + P
                    + MeterstreamConfigProperties.HEALTH_MAX_CONNECTING.name() + '=' + maxConnecting + detail(h));
        }
        if (h.state() == SourceHealth.State.DISCONNECTED && reached(h.since(), now, maxDisconnected)) {
            return Verdict.degraded("disconnected from the broker since " + h.since() + ", longer than " + P
                    + MeterstreamConfigProperties.HEALTH_MAX_DISCONNECTED.name() + '=' + maxDisconnected + detail(h));
        }
        if (!f.missingDestinations.isEmpty()) {
            return Verdict.degraded("the broker has no destination " + String.join(", ", f.missingDestinations)
                    + ": create it, or correct the source's topics/queue key");
        }
        boolean paused = f.pipeline == ConsumerPipeline.State.FAILED || f.pipeline == ConsumerPipeline.State.CIRCUIT_OPEN;
        if (paused && (f.pausedSince == null || reached(f.pausedSince, now, maxPaused))) {
            return Verdict.degraded((f.pipeline == ConsumerPipeline.State.FAILED ? "stopped by the fail-stop policy"
                    : "paused, Kill Bill failing (circuit open)") + (f.pausedSince == null ? "" : " since " + f.pausedSince)
                    + ", longer than " + P + MeterstreamConfigProperties.HEALTH_MAX_PAUSED.name() + '=' + maxPaused
                    + (f.lastError == null ? "" : ": " + f.lastError));
        }
        if (f.oldestUnsettledSince != null && reached(f.oldestUnsettledSince, now, maxUnsettled)) {
            return Verdict.degraded("a message received at " + f.oldestUnsettledSince + " is still not settled, longer than "
                    + P + MeterstreamConfigProperties.HEALTH_MAX_UNSETTLED.name() + '=' + maxUnsettled
                    + (f.lastError == null ? "" : "; last error: " + f.lastError));
        }
        return Verdict.HEALTHY;
    }

    /** True once {@code bound} has passed since {@code since} (a zero bound: at once). */
    private static boolean reached(Instant since, Instant now, Duration bound) {
        return Duration.between(since, now).compareTo(bound) >= 0;
    }

    private static String detail(SourceHealth h) {
        return h.detail().isEmpty() ? "" : ": " + h.detail();
    }
}
