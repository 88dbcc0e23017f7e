package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.pipeline.PipelineStats;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
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
 * each recording usage into Kill Bill through {@link UsageRecorder}. {@link #start()} builds every
 * source first and starts none if one is misconfigured (the error, naming the key, is then the
 * healthcheck's answer); {@link #stop()} closes every pipeline, source and thread it started, so a
 * plugin restart in place starts clean. One instance is started at most once.
 *
 * @param <T> the decoded usage message type
 */
public final class MeterstreamRuntime<T> {

    private static final Logger LOG = LoggerFactory.getLogger(MeterstreamRuntime.class);
    private static final String API_KEY_LABEL = "apiKey:";

    /** One running source. */
    private final class Running {
        final String name;
        final List<String> allowedTenants;
        final ConsumerPipeline<T> pipeline;
        final SourceMonitor monitor;

        Running(String name, List<String> allowedTenants, ConsumerPipeline<T> pipeline, SourceMonitor monitor) {
            this.name = name;
            this.allowedTenants = allowedTenants;
            this.pipeline = pipeline;
            this.monitor = monitor;
        }
    }

    private final MeterstreamConfigProperties config;
    private final BrokerSourceFactories factories;
    private final IdempotencyStore idempotencyStore;
    private final UsageBinding<T> binding;
    private final UsageRecorder recorder;
    private final KillbillLookups lookups;
    private final Clock clock;
    private final MetricsSink metrics;
    private final List<Running> running = new ArrayList<>();
    private final IdempotencyPurger purger;
    private volatile String startupError;
    private boolean started;
    private boolean stopped;

    public MeterstreamRuntime(MeterstreamConfigProperties config, BrokerSourceFactories factories, IdempotencyStore idempotencyStore,
                              UsageBinding<T> binding, UsageRecorder recorder, KillbillLookups lookups, Clock clock, MetricsSink metrics) {
        this(config, factories, idempotencyStore, binding, recorder, lookups, clock, metrics, null);
    }

    /** {@code purger}: purges the idempotency store while the runtime runs; null for none. */
    MeterstreamRuntime(MeterstreamConfigProperties config, BrokerSourceFactories factories, IdempotencyStore idempotencyStore,
                       UsageBinding<T> binding, UsageRecorder recorder, KillbillLookups lookups, Clock clock, MetricsSink metrics,
                       IdempotencyPurger purger) {
        this.purger = purger;
        this.config = Objects.requireNonNull(config, "config");
        this.factories = Objects.requireNonNull(factories, "factories");
        this.idempotencyStore = Objects.requireNonNull(idempotencyStore, "idempotencyStore");
        this.binding = Objects.requireNonNull(binding, "binding");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.lookups = Objects.requireNonNull(lookups, "lookups");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.metrics = metrics == null ? MetricsSink.NONE : metrics;
    }

    /** A runtime that runs nothing and reports {@code error} as its health (configuration could not be read). */
    public static HealthReport failedToConfigure(String error) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("message", error);
        return new HealthReport(false, error, d);
    }

    /**
     * Builds every source, then starts them. A bad configuration (unknown type, missing or wrong
     * key) starts nothing and is reported by {@link #health()}; it is not thrown, so Kill Bill
     * keeps running.
     */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("this runtime was already started; build a new one to restart");
        }
        started = true;
        List<Running> built = new ArrayList<>();
        try {
            if (config.sourceNames().isEmpty()) {
                throw new io.github.meterstream.core.config.ConfigException(MeterstreamConfigProperties.PREFIX
                        + MeterstreamConfigProperties.SOURCES + ".<name>.type", "no source is configured; declare at least one");
            }
            for (String name : config.sourceNames()) {
                built.add(build(name));
            }
        } catch (RuntimeException e) {
            startupError = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.error("Meterstream not started, configuration error: {}", startupError);
            for (Running r : built) {
                r.pipeline.close(Duration.ZERO);
            }
            return;
        }
        if (purger != null) {
            purger.start();
        }
        for (Running r : built) {
            try {
                r.pipeline.start();
                running.add(r);
                LOG.info("Source {} started ({} tenant binding{})", r.name, r.allowedTenants.isEmpty() ? "no" : "a",
                        r.allowedTenants.isEmpty() ? "; any tenant" : ": " + r.allowedTenants);
            } catch (RuntimeException | LinkageError e) {
                // LinkageError: a class the adapter needs is missing in the container (seen inside Kill Bill 0.22:
                // NoClassDefFoundError, ExceptionInInitializerError); it must not take the whole bundle down
                startupError = "source " + r.name + " could not start: " + e;
                LOG.error("Meterstream source {} could not start: {}", r.name, e.toString());
                r.pipeline.close(Duration.ZERO);
            }
        }
    }

    /** One source's configuration as the plugin hands it on: to the adapter, to the pipeline, and its tenant binding. */
    static final class SourceSettings {
        final List<String> tenants;
        final ConfigValues adapterSection;
        final PipelineConfig pipeline;

        SourceSettings(List<String> tenants, ConfigValues adapterSection, PipelineConfig pipeline) {
            this.tenants = tenants;
            this.adapterSection = adapterSection;
            this.pipeline = pipeline;
        }
    }

    /**
     * Splits source {@code name}'s section: {@code tenants} for the plugin, {@code pipeline.*} for
     * the pipeline, the rest for the adapter.
     *
     * @throws io.github.meterstream.core.config.ConfigException naming the key that is wrong
     */
    static SourceSettings sourceSettings(MeterstreamConfigProperties config, String name) {
        ConfigValues section = config.source(name);
        List<String> tenants = section.get(MeterstreamConfigProperties.SOURCE_TENANTS);
        Map<String, String> forAdapter = new LinkedHashMap<>(section.asMap());
        forAdapter.remove(MeterstreamConfigProperties.SOURCE_TENANTS.name());
        ConfigValues pipelineSection = section.section(MeterstreamConfigProperties.PIPELINE_SECTION);
        pipelineSection.requireOnlyKnownKeys(PipelineConfig.KEYS, List.of());
        PipelineConfig pipelineConfig = PipelineConfig.from(pipelineSection);
        return new SourceSettings(tenants, ConfigValues.of(section.prefix(), forAdapter), pipelineConfig);
    }

    private Running build(String name) {
        SourceSettings settings = sourceSettings(config, name);
        List<String> tenants = settings.tenants;
        PipelineConfig pipelineConfig = settings.pipeline;
        BrokerSource source = factories.create(name, settings.adapterSection, List.of(MeterstreamConfigProperties.PIPELINE_SECTION));
        // the contract labels a tenant named by api key "apiKey:<key>"; counters are kept per tenant id,
        // and only for tenants Kill Bill resolved (the cache is read, Kill Bill is never called from here)
        SourceMonitor monitor = new SourceMonitor(name, clock, metrics, ref -> ref.startsWith(API_KEY_LABEL)
                ? lookups.cachedTenantIdForApiKey(ref.substring(API_KEY_LABEL.length())) : lookups.cachedTenantId(ref),
                config.cacheTenants());
        MessageHandler<T> handler = (message, context) -> {
            UsageRecorder.RecordResult result = recorder.record(binding.view(message), name, tenants, context);
            if (result.late()) {
                monitor.lateAccepted(result.tenantId().toString());
            }
            return result.outcome();
        };
        ConsumerPipeline<T> pipeline = ConsumerPipeline.builder(binding.contract())
                .source(source)
                .handler(handler)
                .idempotencyStore(idempotencyStore)
                .config(pipelineConfig)
                .listener(monitor)
                .clock(clock)
                .build();
        return new Running(name, tenants, pipeline, monitor);
    }

    /** Closes every pipeline (each waits up to {@code stop-timeout} for running messages). Idempotent. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (Running r : running) {
            try {
                r.pipeline.close(config.stopTimeout());
            } catch (RuntimeException e) {
                LOG.warn("Closing source {} failed: {}", r.name, e.toString());
            }
        }
        if (purger != null) {
            purger.close();
        }
        LOG.info("Meterstream stopped ({} sources closed)", running.size());
    }

    /** The configuration error that kept the plugin from starting, or null. */
    public String startupError() {
        return startupError;
    }

    /** Healthy when every source runs connected, none paused by failures longer than allowed. */
    public HealthReport health() {
        Map<String, Object> details = new LinkedHashMap<>();
        if (startupError != null) {
            details.put("message", startupError);
            return new HealthReport(false, startupError, details);
        }
        Instant now = clock.instant();
        String firstProblem = null;
        List<Running> snapshot;
        synchronized (this) {
            snapshot = new ArrayList<>(running);
        }
        for (Running r : snapshot) {
            String problem = problem(r, now);
            PipelineStats stats = r.pipeline.stats();
            details.put(r.name, problem == null ? stats.state() + ", " + r.pipeline.source().health() : problem);
            if (problem != null && firstProblem == null) {
                firstProblem = "source " + r.name + ": " + problem;
            }
        }
        if (stopped) {
            firstProblem = "stopped";
        }
        String message = firstProblem != null ? firstProblem : snapshot.size() + " source(s) consuming";
        details.put("message", message);
        return new HealthReport(firstProblem == null, message, details);
    }

    private String problem(Running r, Instant now) {
        ConsumerPipeline.State state = r.pipeline.state();
        SourceHealth h = r.pipeline.source().health();
        if (state == ConsumerPipeline.State.CLOSED || h.state() == SourceHealth.State.CLOSED) {
            return "closed";
        }
        if (h.state() == SourceHealth.State.DISCONNECTED
                && !Duration.between(h.since(), now).minus(config.healthMaxDisconnected()).isNegative()) {
            return "disconnected from the broker since " + h.since() + (h.detail().isEmpty() ? "" : ": " + h.detail());
        }
        if (state == ConsumerPipeline.State.FAILED || state == ConsumerPipeline.State.CIRCUIT_OPEN) {
            Instant since = r.monitor.pausedSince();
            if (since == null || Duration.between(since, now).compareTo(config.healthMaxPaused()) >= 0) {
                String last = r.pipeline.stats().lastError();
                return (state == ConsumerPipeline.State.FAILED ? "stopped by fail-stop policy" : "paused, Kill Bill failing (circuit open)")
                        + (since == null ? "" : " since " + since) + (last == null ? "" : ": " + last);
            }
        }
        return null;
    }

    /**
     * The status page: per source its state, counters, last error and lag. With {@code tenantId},
     * only that tenant's counters (and no source-wide counters or errors, which may concern other tenants).
     */
    public Map<String, Object> status(String tenantId) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("plugin", MeterstreamConfigProperties.PLUGIN_NAME);
        out.put("killbillApi", lookups.line().describe());
        if (tenantId == null) {
            out.put("healthy", health().healthy());
            if (startupError != null) {
                out.put("startupError", startupError);
            }
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
        Map<String, Object> sources = new LinkedHashMap<>();
        List<Running> snapshot;
        synchronized (this) {
            snapshot = new ArrayList<>(running);
        }
        for (Running r : snapshot) {
            if (tenantId != null && !r.allowedTenants.isEmpty() && !UsageRules.containsIgnoreCase(r.allowedTenants, tenantId)) {
                continue;
            }
            Map<String, Object> s = new LinkedHashMap<>();
            PipelineStats stats = r.pipeline.stats();
            SourceHealth h = r.pipeline.source().health();
            s.put("state", stats.state().name());
            s.put("connection", h.state().name());
            if (tenantId == null) {
                Map<String, Object> counts = new LinkedHashMap<>();
                counts.put("received", stats.received());
                counts.put("recorded", stats.processed());
                counts.put("duplicates", stats.duplicates());
                counts.put("retried", stats.retried());
                counts.put("deadLettered", stats.deadLettered());
                counts.put("lateAccepted", r.monitor.lateAccepted());
                counts.put("inFlight", stats.inFlight());
                s.put("counts", counts);
                s.put("lastError", stats.lastError());
                s.put("lag", h.lag());
                s.put("pausedSince", r.monitor.pausedSince() == null ? null : r.monitor.pausedSince().toString());
                s.put("pauseReason", r.monitor.pauseReason());
                s.put("tenants", r.monitor.tenantCounters(null));
            } else {
                Map<String, Object> mine = r.monitor.tenantCounters(tenantId);
                s.put("counts", mine.getOrDefault(tenantId, new SourceMonitor.TenantCounters().toMap()));
            }
            sources.put(r.name, s);
        }
        out.put("sources", sources);
        return out;
    }
}
