package io.github.meterstream.killbill;

import io.github.meterstream.killbill.internal.HealthReport;
import org.killbill.billing.osgi.api.Healthcheck;
import org.killbill.billing.tenant.api.Tenant;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Kill Bill's view of the plugin's health ({@code GET /1.0/healthcheck}): unhealthy when the
 * configuration could not be read or a source could not be built (the message names the key),
 * when a source is disconnected from its broker, or when a source has been paused by failures
 * (circuit open, fail-stop) longer than {@code health.max-paused}. The details say why, per source.
 */
public class MeterstreamHealthcheck implements Healthcheck {

    private final Supplier<HealthReport> report;

    public MeterstreamHealthcheck(Supplier<HealthReport> report) {
        this.report = report;
    }

    @Override
    public HealthStatus getHealthStatus(Tenant tenant, @SuppressWarnings("rawtypes") Map properties) {
        HealthReport r = report.get();
        return new HealthStatus(r.healthy(), r.details());
    }
}
