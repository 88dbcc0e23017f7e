package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.event.MessageEvent;
import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.source.SourceCoordinates;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Listens to one source's pipeline: per-tenant counters for the status page, Kill Bill metrics,
 * and since when the source is paused and why, for the healthcheck.
 */
final class SourceMonitor implements PipelineListener {

    static final class TenantCounters {
        final LongAdder recorded = new LongAdder();
        final LongAdder duplicates = new LongAdder();
        final LongAdder retried = new LongAdder();
        final LongAdder deadLettered = new LongAdder();
        final LongAdder lateAccepted = new LongAdder();

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("recorded", recorded.sum());
            m.put("duplicates", duplicates.sum());
            m.put("retried", retried.sum());
            m.put("deadLettered", deadLettered.sum());
            m.put("lateAccepted", lateAccepted.sum());
            return m;
        }
    }

    /** Counters of messages whose tenant Kill Bill did not resolve (unknown, invalid, or not read yet). */
    static final String UNRESOLVED = "(unresolved)";
    /** Counters of resolved tenants beyond {@code maxTenants}. */
    static final String OTHER = "(other)";
    // a tenant id is 36 characters; anything longer is not one and is never kept
    private static final int MAX_KEY_LENGTH = 64;

    private final String source;
    private final Clock clock;
    private final MetricsSink metrics;
    private final Function<String, String> tenantIdOfRef;
    private final int maxTenants;
    private final ConcurrentMap<String, TenantCounters> byTenant = new ConcurrentHashMap<>();
    private final LongAdder lateAccepted = new LongAdder();
    private volatile Instant pausedSince;
    private volatile String pauseReason;

    /**
     * @param tenantIdOfRef the Kill Bill tenant id of an event's tenant (the message's {@code TenantRef}
     *        label) when Kill Bill resolved it already, else null; never calls Kill Bill
     * @param maxTenants resolved tenants with their own counters; later ones count under {@value #OTHER}
     */
    SourceMonitor(String source, Clock clock, MetricsSink metrics, Function<String, String> tenantIdOfRef, int maxTenants) {
        this.source = source;
        this.clock = clock;
        this.metrics = metrics;
        this.tenantIdOfRef = tenantIdOfRef;
        this.maxTenants = maxTenants;
    }

    private TenantCounters tenant(MessageEvent e) {
        String ref = e.tenant();
        return countersOf(ref == null ? null : tenantIdOfRef.apply(ref));
    }

    // The tenant value comes from the payload: only ids Kill Bill resolved get their own entry, so
    // a producer cannot grow this map with made-up or huge values.
    private TenantCounters countersOf(String resolvedTenantId) {
        String key = resolvedTenantId == null || resolvedTenantId.length() > MAX_KEY_LENGTH ? UNRESOLVED : resolvedTenantId;
        TenantCounters c = byTenant.get(key);
        if (c != null) {
            return c;
        }
        if (!key.equals(UNRESOLVED) && byTenant.size() >= maxTenants) {
            key = OTHER;
        }
        return byTenant.computeIfAbsent(key, k -> new TenantCounters());
    }

    private void metric(String what) {
        metrics.increment("meterstream." + source + '.' + what);
    }

    @Override
    public void onReceived(SourceCoordinates coordinates) {
        metric("received");
    }

    @Override
    public void onProcessed(MessageEvent event) {
        tenant(event).recorded.increment();
        metric("recorded");
    }

    @Override
    public void onDuplicate(MessageEvent event) {
        tenant(event).duplicates.increment();
        metric("duplicates");
    }

    @Override
    public void onRetried(MessageEvent event, Duration delay, Throwable cause) {
        tenant(event).retried.increment();
        metric("retried");
    }

    @Override
    public void onDeadLettered(MessageEvent event, DeadLetterEnvelope envelope) {
        // a message refused while being read (INVALID_MESSAGE) has no decoded tenant; its envelope may still name it
        String ref = event.tenant() != null ? event.tenant() : envelope.tenant();
        countersOf(ref == null ? null : tenantIdOfRef.apply(ref)).deadLettered.increment();
        metric("dead_lettered");
        metric("dead_lettered." + envelope.reasonCode());
    }

    @Override
    public void onPaused(String source, String reason) {
        pauseReason = reason;
        pausedSince = clock.instant();
    }

    @Override
    public void onResumed(String source) {
        pausedSince = null;
        pauseReason = null;
    }

    void lateAccepted(String tenantId) {
        lateAccepted.increment();
        countersOf(tenantId).lateAccepted.increment();
        metric("late_accepted");
    }

    long lateAccepted() {
        return lateAccepted.sum();
    }

    /** When the pipeline paused the source (any reason), or null while it runs. */
    Instant pausedSince() {
        return pausedSince;
    }

    String pauseReason() {
        return pauseReason;
    }

    /** Counters of {@code tenantId}, or of every tenant when null. */
    Map<String, Object> tenantCounters(String tenantId) {
        Map<String, Object> out = new TreeMap<>();
        byTenant.forEach((t, c) -> {
            if (tenantId == null || tenantId.equals(t)) {
                out.put(t, c.toMap());
            }
        });
        return out;
    }
}
