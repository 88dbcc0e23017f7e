package io.github.meterstream.killbill;

import io.github.meterstream.killbill.internal.HealthReport;
import org.killbill.billing.osgi.api.Healthcheck;
import org.killbill.billing.tenant.api.Tenant;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Kill Bill's view of the plugin's health ({@code GET /1.0/healthcheck}). The details always show
 * every source, HEALTHY or DEGRADED and why (the key or destination to look at). Whether a DEGRADED
 * source also makes Kill Bill's healthcheck unhealthy is the operator's choice per source,
 * {@code sources.<name>.health.fail-killbill-healthcheck}, off by default: a load balancer probing
 * Kill Bill would otherwise pull the whole node out of rotation (no invoices, no payments) for a
 * usage-source typo or a broker outage, while usage keeps waiting in the broker either way. Alert on
 * the plugin's status or metrics instead (docs/OPERATIONS.md). A configuration error that starts no
 * source fails Kill Bill's healthcheck only when a source opted in.
 */
public class MeterstreamHealthcheck implements Healthcheck {

    private final Supplier<HealthReport> report;

    public MeterstreamHealthcheck(Supplier<HealthReport> report) {
        this.report = report;
    }

    @Override
    public HealthStatus getHealthStatus(Tenant tenant, @SuppressWarnings("rawtypes") Map properties) {
        HealthReport r = report.get();
        Map<String, Object> details = new LinkedHashMap<>(r.details());
        details.put("status", r.healthy() ? "HEALTHY" : "DEGRADED");
        return new HealthStatus(!r.failsKillbillHealthcheck(), details);
    }
}
