package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.pipeline.PipelineStats;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.deadletter.DeadLetterStore;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.line.KillbillLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the plugin runs, without OSGi: one {@link ConsumerPipeline} per configured source,
 * each recording usage into Kill Bill through {@link UsageRecorder}. {@link #start()} builds and
 * starts each source on its own: a source whose configuration is wrong, or that cannot start, is
 * reported (state {@code FAILED_TO_START}, its error naming the key) while the others run. Only a
 * plugin-wide error (no source at all) starts nothing. {@link #health()} judges each source by
 * {@link SourceHealthRules}; {@link #stop()} closes every pipeline, source, thread and gauge it
 * started, so a plugin restart in place starts clean. One instance is started at most once.
 */
public final class MeterstreamRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(MeterstreamRuntime.class);

    /** The state {@link #status} shows for a source that could not be built or started. */
    static final String FAILED_TO_START = "FAILED_TO_START";

    /** One configured source: running (pipeline set), or not started (startError set). */
    private static final class Source {
        final String name;
        final boolean failsKillbillHealthcheck;
        final List<String> allowedTenants;
        final ConsumerPipeline<UsageMessage> pipeline;
        final SourceMonitor monitor;
        volatile String startError;
        volatile Instant startErrorAt;

        Source(String name, boolean failsKillbillHealthcheck, List<String> allowedTenants, ConsumerPipeline<UsageMessage> pipeline,
               SourceMonitor monitor) {
            this.name = name;
            this.failsKillbillHealthcheck = failsKillbillHealthcheck;
            this.allowedTenants = allowedTenants;
            this.pipeline = pipeline;
            this.monitor = monitor;
        }

        static Source notStarted(String name, boolean failsKillbillHealthcheck, String error, Instant at) {
            Source s = new Source(name, failsKillbillHealthcheck, List.of(), null, null);
            s.startError = error;
            s.startErrorAt = at;
            return s;
        }

        boolean started() {
            return startError == null;
        }
    }

    private final MeterstreamConfigProperties config;
    private final BrokerSourceFactories factories;
    private final IdempotencyStore idempotencyStore;
    private final UsageMessageContract contract;
    private final UsageRecorder recorder;
    private final TenantLookup tenantLookup;
    private final KillbillLine line;
    private final Clock clock;
    private final MetricsSink metrics;
    private final SourceHealthRules rules;
    private final List<Source> sources = new ArrayList<>();
    private final List<String> gauges = new ArrayList<>();
    private final IdempotencyPurger purger;
    private final DeadLetterStore rejections;
    private volatile String startupError;
    private boolean started;
    private boolean stopped;

    /**
     * @param contract the usage contract, with the resolvers that deduplicate by Kill Bill ids
     * @param tenantLookup the tenants Kill Bill resolved, read (never called) by the per-tenant counters
     * @param line the Kill Bill line in use, for the status page
     * @param purger purges the idempotency store while the runtime runs; null for none
     * @param rejections where every source copies the messages it dead-letters; null for nowhere
     */
    MeterstreamRuntime(MeterstreamConfigProperties config, BrokerSourceFactories factories, IdempotencyStore idempotencyStore,
                       UsageMessageContract contract, UsageRecorder recorder, TenantLookup tenantLookup, KillbillLine line, Clock clock,
                       MetricsSink metrics, IdempotencyPurger purger, DeadLetterStore rejections) {
        this.purger = purger;
        this.rejections = rejections;
        this.config = Objects.requireNonNull(config, "config");
        this.factories = Objects.requireNonNull(factories, "factories");
        this.idempotencyStore = Objects.requireNonNull(idempotencyStore, "idempotencyStore");
        this.contract = Objects.requireNonNull(contract, "contract");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.tenantLookup = Objects.requireNonNull(tenantLookup, "tenantLookup");
        this.line = Objects.requireNonNull(line, "line");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.metrics = metrics == null ? MetricsSink.NONE : metrics;
        this.rules = SourceHealthRules.of(config);
    }

    /** The rejected-usage store every source copies its dead letters to, or null when there is none. */
    public DeadLetterStore rejections() {
        return rejections;
    }

    /**
     * A runtime that runs nothing and reports {@code error} as its health (configuration could not be read).
     *
     * @param failsKillbillHealthcheck whether a source opted in to failing Kill Bill's healthcheck
     */
    public static HealthReport failedToConfigure(String error, boolean failsKillbillHealthcheck) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("message", error);
        return new HealthReport(false, failsKillbillHealthcheck, error, d);
    }

    /**
     * Builds and starts each source on its own. A source whose configuration is wrong (unknown type,
     * missing or wrong key) or whose start throws (a {@link LinkageError} included: a class missing in
     * the container) is kept as {@value #FAILED_TO_START} with its error, and the other sources run.
     * Nothing is thrown, so Kill Bill keeps running; {@link #health()} and {@link #status} report it.
     */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("this runtime was already started; build a new one to restart");
        }
        started = true;
        if (config.sourceNames().isEmpty()) {
            startupError = MeterstreamConfigProperties.PREFIX + MeterstreamConfigProperties.SOURCES
                    + ".<name>.type: no source is configured; declare at least one";
            LOG.error("Meterstream not started, configuration error: {}", startupError);
            return;
        }
        List<Source> built = new ArrayList<>();
        for (String name : config.sourceNames()) {
            try {
                built.add(build(name));
            } catch (RuntimeException | LinkageError e) {
                String error = SourceStartFailure.describe(e);
                LOG.error("Meterstream source {} not started: {}", name, error);
                built.add(Source.notStarted(name, failsKillbillHealthcheck(name), error, clock.instant()));
            }
        }
        if (purger != null && built.stream().anyMatch(Source::started)) {
            purger.start();
        }
        for (Source r : built) {
            if (r.started()) {
                try {
                    r.pipeline.start();
                    LOG.info("Source {} started ({} tenant binding{})", r.name, r.allowedTenants.isEmpty() ? "no" : "a",
                            r.allowedTenants.isEmpty() ? "; any tenant" : ": " + r.allowedTenants);
                } catch (RuntimeException | LinkageError e) {
                    // LinkageError: a class the adapter needs is missing in the container (seen inside Kill Bill 0.22:
                    // NoClassDefFoundError, ExceptionInInitializerError); it must not take the whole bundle down
                    r.startError = SourceStartFailure.describe(e);
                    r.startErrorAt = clock.instant();
                    LOG.error("Meterstream source {} could not start: {}", r.name, r.startError);
                    r.pipeline.close(Duration.ZERO);
                }
            }
            sources.add(r);
            registerGauges(r);
        }
    }

    /** Read leniently: a source that cannot be built still says whether its failure fails Kill Bill's healthcheck. */
    private boolean failsKillbillHealthcheck(String name) {
        try {
            return config.source(name).get(MeterstreamConfigProperties.SOURCE_FAIL_KILLBILL_HEALTHCHECK);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The gauges an operator alerts on, per source (docs/OPERATIONS.md lists them with alert rules). */
    private void registerGauges(Source r) {
        gauge(r.name, "healthy", () -> verdict(r, clock.instant()).healthy() ? 1 : 0);
        if (!r.started()) {
            return;
        }
        gauge(r.name, "lag", () -> {
            Long lag = r.pipeline.source().health().lag();
            return lag == null ? -1 : lag;
        });
        gauge(r.name, "in_flight", () -> r.pipeline.stats().inFlight());
        gauge(r.name, "held", () -> {
            PipelineStats s = r.pipeline.stats();
            return s.heldForRetry() + s.waitingOnClaim();
        });
        gauge(r.name, "oldest_unsettled_age_seconds", () -> {
            Instant since = r.pipeline.stats().oldestUnsettledSince();
            return since == null ? 0 : Math.max(0, Duration.between(since, clock.instant()).getSeconds());
        });
        gauge(r.name, "circuit_open", () -> r.pipeline.state() == ConsumerPipeline.State.CIRCUIT_OPEN ? 1 : 0);
    }

    private void gauge(String source, String what, java.util.function.Supplier<Number> value) {
        String name = "meterstream." + source + '.' + what;
        metrics.gauge(name, value);
        gauges.add(name);
    }

    /** One source's configuration as the plugin hands it on: to the adapter, to the pipeline, and its tenant binding. */
    static final class SourceSettings {
        final List<String> tenants;
        final boolean failKillbillHealthcheck;
        final ConfigValues adapterSection;
        final PipelineConfig pipeline;

        SourceSettings(List<String> tenants, boolean failKillbillHealthcheck, ConfigValues adapterSection, PipelineConfig pipeline) {
            this.tenants = tenants;
            this.failKillbillHealthcheck = failKillbillHealthcheck;
            this.adapterSection = adapterSection;
            this.pipeline = pipeline;
        }
    }

    /**
     * Splits source {@code name}'s section: {@code tenants} and {@code health.fail-killbill-healthcheck}
     * for the plugin, {@code pipeline.*} for the pipeline, the rest for the adapter.
     *
     * @throws io.github.meterstream.core.config.ConfigException naming the key that is wrong
     */
    static SourceSettings sourceSettings(MeterstreamConfigProperties config, String name) {
        ConfigValues section = config.source(name);
        List<String> tenants = section.get(MeterstreamConfigProperties.SOURCE_TENANTS);
        boolean failKillbill = section.get(MeterstreamConfigProperties.SOURCE_FAIL_KILLBILL_HEALTHCHECK);
        Map<String, String> forAdapter = new LinkedHashMap<>(section.asMap());
        for (io.github.meterstream.core.config.ConfigKey<?> k : MeterstreamConfigProperties.SOURCE_KEYS) {
            forAdapter.remove(k.name());
        }
        ConfigValues pipelineSection = section.section(MeterstreamConfigProperties.PIPELINE_SECTION);
        pipelineSection.requireOnlyKnownKeys(PipelineConfig.KEYS, List.of());
        PipelineConfig pipelineConfig = PipelineConfig.from(pipelineSection);
        return new SourceSettings(tenants, failKillbill, ConfigValues.of(section.prefix(), forAdapter), pipelineConfig);
    }

    private Source build(String name) {
        SourceSettings settings = sourceSettings(config, name);
        List<String> tenants = settings.tenants;
        PipelineConfig pipelineConfig = settings.pipeline;
        BrokerSource source = factories.create(name, settings.adapterSection, List.of(MeterstreamConfigProperties.PIPELINE_SECTION));
        // counters are kept per tenant id, and only for tenants Kill Bill resolved: the events carry the
        // tenant's label, and the tenant cache is keyed by it (read here; Kill Bill is never called from here)
        SourceMonitor monitor = new SourceMonitor(name, clock, metrics, tenantLookup::cachedTenantIdOfLabel, config.cacheTenants());
        MessageHandler<UsageMessage> handler = (message, context) -> {
            UsageRecorder.RecordResult result = recorder.record(message, name, tenants, context);
            if (result.late()) {
                monitor.lateAccepted(result.tenantId().toString());
            }
            return result.outcome();
        };
        ConsumerPipeline<UsageMessage> pipeline = ConsumerPipeline.builder(contract)
                .source(source)
                .handler(handler)
                .idempotencyStore(idempotencyStore)
                .deadLetterStore(rejections)
                .config(pipelineConfig)
                .listener(monitor)
                .clock(clock)
                .build();
        return new Source(name, settings.failKillbillHealthcheck, tenants, pipeline, monitor);
    }

    /** Closes every pipeline (each waits up to {@code stop-timeout} for running messages). Idempotent. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        int closed = 0;
        for (Source r : sources) {
            if (!r.started()) {
                continue;
            }
            closed++;
            try {
                r.pipeline.close(config.stopTimeout());
            } catch (RuntimeException e) {
                LOG.warn("Closing source {} failed: {}", r.name, e.toString());
            }
        }
        gauges.forEach(metrics::remove);
        gauges.clear();
        if (purger != null) {
            purger.close();
        }
        LOG.info("Meterstream stopped ({} sources closed)", closed);
    }

    /** The plugin-wide configuration error that kept every source from starting, or null. */
    public String startupError() {
        return startupError;
    }

    private List<Source> snapshot() {
        synchronized (this) {
            return new ArrayList<>(sources);
        }
    }

    private SourceHealthRules.Verdict verdict(Source r, Instant now) {
        if (!r.started()) {
            return SourceHealthRules.failedToStart(r.startError);
        }
        PipelineStats stats = r.pipeline.stats();
        SourceHealth h = r.pipeline.source().health();
        return rules.evaluate(new SourceHealthRules.Facts(stats.state(), h, h.missingDestinations(), r.monitor.pausedSince(),
                stats.lastError(), stats.oldestUnsettledSince()), now);
    }

    /**
     * Healthy when every source is, by {@link SourceHealthRules}. The report also says whether Kill
     * Bill's own healthcheck must fail: only when a DEGRADED source has
     * {@code health.fail-killbill-healthcheck=true}.
     */
    public HealthReport health() {
        Map<String, Object> details = new LinkedHashMap<>();
        if (startupError != null) {
            details.put("message", startupError);
            return new HealthReport(false, false, startupError, details);
        }
        Instant now = clock.instant();
        String firstProblem = null;
        boolean failsKillbill = false;
        List<Source> snapshot = snapshot();
        for (Source r : snapshot) {
            SourceHealthRules.Verdict v = verdict(r, now);
            details.put(r.name, v.healthy() ? v.name() + ": " + r.pipeline.stats().state() + ", " + r.pipeline.source().health()
                    : v.toString());
            if (!v.healthy()) {
                failsKillbill |= r.failsKillbillHealthcheck;
                if (firstProblem == null) {
                    firstProblem = "source " + r.name + ": " + v.reason;
                }
            }
        }
        if (stopped) {
            firstProblem = "stopped";
        }
        String message = firstProblem != null ? firstProblem : snapshot.size() + " source(s) consuming";
        details.put("message", message);
        return new HealthReport(firstProblem == null, failsKillbill, message, details);
    }

    /**
     * The status page (docs/OPERATIONS.md describes every field): per source its state, health,
     * connection, lag, counters, oldest unsettled message and last error; sources that could not start
     * are listed too. With {@code tenantId}, only that tenant's counters (and no source-wide counters or
     * errors, which may concern other tenants).
     */
    public Map<String, Object> status(String tenantId) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("plugin", MeterstreamConfigProperties.PLUGIN_NAME);
        out.put("killbillApi", line.describe());
        if (tenantId == null) {
            HealthReport health = health();
            out.put("healthy", health.healthy());
            out.put("failsKillbillHealthcheck", health.failsKillbillHealthcheck());
            out.put("startupError", startupError);
        } else {
            out.put("tenant", tenantId);
        }
        // tenants whose configuration cannot be used: their usage waits (retried) until it is fixed
        Map<String, String> held = new java.util.TreeMap<>();
        recorder.heldTenants().forEach((t, reason) -> {
            if (tenantId == null || t.toString().equalsIgnoreCase(tenantId)) {
                held.put(t.toString(), reason);
            }
        });
        out.put("heldTenants", held);
        Map<String, Object> bySource = new LinkedHashMap<>();
        Instant now = clock.instant();
        for (Source r : snapshot()) {
            if (tenantId != null && (!r.started()
                    || !r.allowedTenants.isEmpty() && !UsageRules.containsIgnoreCase(r.allowedTenants, tenantId))) {
                continue;
            }
            bySource.put(r.name, tenantId == null ? sourceStatus(r, now) : tenantSourceStatus(r, tenantId));
        }
        out.put("sources", bySource);
        return out;
    }

    private Map<String, Object> sourceStatus(Source r, Instant now) {
        SourceHealthRules.Verdict v = verdict(r, now);
        Map<String, Object> s = new LinkedHashMap<>();
        if (!r.started()) {
            s.put("state", FAILED_TO_START);
            s.put("health", v.name());
            s.put("healthReason", v.reason);
            s.put("failsKillbillHealthcheck", r.failsKillbillHealthcheck);
            s.put("connection", null);
            s.put("connectionSince", null);
            s.put("connectionDetail", null);
            s.put("missingDestinations", List.of());
            s.put("lag", UNKNOWN);
            s.put("oldestUnsettledSince", null);
            s.put("lastError", error(r.startError, r.startErrorAt));
            s.put("pausedSince", null);
            s.put("pauseReason", null);
            s.put("counts", null);
            s.put("tenants", Map.of());
            return s;
        }
        PipelineStats stats = r.pipeline.stats();
        SourceHealth h = r.pipeline.source().health();
        s.put("state", stats.state().name());
        s.put("health", v.name());
        s.put("healthReason", v.reason);
        s.put("failsKillbillHealthcheck", r.failsKillbillHealthcheck);
        s.put("connection", h.state().name());
        s.put("connectionSince", h.since().toString());
        s.put("connectionDetail", h.detail().isEmpty() ? null : h.detail());
        s.put("missingDestinations", h.missingDestinations());
        s.put("lag", h.lag() == null ? UNKNOWN : h.lag());
        s.put("oldestUnsettledSince", text(stats.oldestUnsettledSince()));
        s.put("lastError", error(stats.lastError(), stats.lastErrorAt()));
        s.put("pausedSince", text(r.monitor.pausedSince()));
        s.put("pauseReason", r.monitor.pauseReason());
        // received = recorded + duplicates + deadLettered + inFlight + heldForRetry + waitingOnClaim + released
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("received", stats.received());
        counts.put("recorded", stats.processed());
        counts.put("duplicates", stats.duplicates());
        counts.put("deadLettered", stats.deadLettered());
        counts.put("inFlight", stats.inFlight());
        counts.put("heldForRetry", stats.heldForRetry());
        counts.put("waitingOnClaim", stats.waitingOnClaim());
        counts.put("released", stats.released());
        counts.put("retried", stats.retried());
        counts.put("lateAccepted", r.monitor.lateAccepted());
        s.put("counts", counts);
        s.put("tenants", r.monitor.tenantCounters(null));
        return s;
    }

    private static Map<String, Object> tenantSourceStatus(Source r, String tenantId) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("state", r.pipeline.stats().state().name());
        s.put("connection", r.pipeline.source().health().state().name());
        Map<String, Object> mine = r.monitor.tenantCounters(tenantId);
        s.put("counts", mine.getOrDefault(tenantId, new SourceMonitor.TenantCounters().toMap()));
        return s;
    }

    /** What {@code lag} shows when the source cannot tell: never 0 as a guess. */
    static final String UNKNOWN = "unknown";

    private static String text(Instant at) {
        return at == null ? null : at.toString();
    }

    private static Map<String, Object> error(String message, Instant at) {
        if (message == null) {
            return null;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put("at", text(at));
        return e;
    }
}
