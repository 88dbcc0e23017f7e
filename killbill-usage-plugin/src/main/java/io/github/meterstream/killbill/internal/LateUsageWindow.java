package io.github.meterstream.killbill.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import org.killbill.billing.osgi.api.OSGIKillbill;
import org.killbill.billing.tenant.api.TenantApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * How far back Kill Bill still bills usage for a tenant: its {@code readMaxRawUsagePreviousPeriod},
 * read from the plugin configuration or the tenant's per-tenant Kill Bill configuration and cached
 * for {@code cache.catalog.ttl}. A failed read caches nothing and is a {@link io.github.meterstream.core.failure.TransientFailure}.
 */
final class LateUsageWindow {

    private static final Logger LOG = LoggerFactory.getLogger(LateUsageWindow.class);
    static final String PER_TENANT_CONFIG = "PER_TENANT_CONFIG";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OSGIKillbill killbill;
    private final Clock clock;
    private final MeterstreamConfigProperties config;
    private final BoundedCache<UUID, Integer> readMaxPeriods;

    LateUsageWindow(OSGIKillbill killbill, Clock clock, MeterstreamConfigProperties config) {
        this.killbill = killbill;
        this.clock = clock;
        this.config = config;
        this.readMaxPeriods = new BoundedCache<>(config.cacheTenants(), config.cacheCatalogTtl(), clock);
    }

    /**
     * How many past billing periods Kill Bill still bills late usage for, for {@code tenantId}:
     * the plugin's {@code late-usage.max-previous-periods} if set, else the tenant's own Kill Bill
     * setting ({@code uploadPerTenantConfig}), else Kill Bill's global setting, else 2.
     */
    int readMaxPreviousPeriods(UUID tenantId) {
        if (config.lateUsageMaxPreviousPeriods() >= 0) {
            return config.lateUsageMaxPreviousPeriods();
        }
        return readMaxPeriods.get(tenantId, this::loadReadMax);
    }

    private int loadReadMax(UUID tenantId) {
        int global = config.killbillReadMaxRawUsagePreviousPeriod() == null ? 2 : config.killbillReadMaxRawUsagePreviousPeriod();
        List<String> values;
        try {
            values = killbill.getTenantUserApi().getTenantValuesForKey(PER_TENANT_CONFIG,
                    new MeterstreamCallContext(tenantId, clock.instant(), null));
        } catch (TenantApiException | RuntimeException e) {
            // Nothing is cached from a failed read: a fallback remembered for the cache TTL would give
            // wrong LATE_USAGE verdicts after a database blip. The message waits and is retried.
            if (e instanceof RuntimeException && !FailureClassifier.isTransient(e)) {
                // not a database or connection problem: left unclassified for the pipeline's bounded retries
                throw FailureClassifier.classified((RuntimeException) e, "reading the per-tenant configuration", tenantId.toString(), null);
            }
            throw FailureClassifier.unavailable("read tenant " + tenantId + "'s " + MeterstreamConfigProperties.KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD
                    + " (per-tenant configuration)", e, tenantId.toString(), null);
        }
        if (values == null || values.isEmpty()) {
            return global;
        }
        try {
            JsonNode node = JSON.readTree(values.get(0)).get(MeterstreamConfigProperties.KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD);
            return node == null ? global : Integer.parseInt(node.asText().trim());
        } catch (java.io.IOException | NumberFormatException e) {
            // Kill Bill itself validated the per-tenant config when it was uploaded; an unreadable value
            // is not something a retry fixes, so the global value applies (as Kill Bill would do).
            LOG.warn("Tenant {}'s per-tenant configuration has no readable {} ({}); using {}", tenantId,
                    MeterstreamConfigProperties.KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD, e.toString(), global);
            return global;
        }
    }
}
