package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.usage.TenantRef;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import org.killbill.billing.osgi.api.OSGIKillbill;
import org.killbill.billing.tenant.api.Tenant;
import org.killbill.billing.tenant.api.TenantApiException;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kill Bill tenants by id or API key, cached: a tenant never changes its id or API key, so entries
 * expire only when the cache is full ({@code cache.tenants}, least recently used first). An unknown
 * tenant is {@link PermanentFailure} {@code UNKNOWN_TENANT}; Kill Bill not answering a {@link
 * io.github.meterstream.core.failure.TransientFailure}.
 */
final class TenantLookup {

    private final OSGIKillbill killbill;
    // keyed by TenantRef#label(): the same string the pipeline's events carry, so the monitor can find
    // a resolved tenant by its event's label without reading the label back
    private final BoundedCache<String, UUID> byLabel;
    // API-key labels Kill Bill resolved, never evicted: bounded by the tenants that exist
    private final Map<String, UUID> resolvedApiKeyLabels = new ConcurrentHashMap<>();
    // ids Kill Bill confirmed, never evicted (bounded by the tenants that exist): a failure names its
    // tenant by id once resolved, and the rejections table must tell a real id from a made-up one
    private final Set<UUID> resolvedIds = ConcurrentHashMap.newKeySet();

    TenantLookup(OSGIKillbill killbill, Clock clock, MeterstreamConfigProperties config) {
        this.killbill = killbill;
        this.byLabel = new BoundedCache<>(config.cacheTenants(), Duration.ofDays(3650), clock);
    }

    /** The id of the tenant {@code tenant} names; {@code trackingId} is for the failure only. */
    UUID tenantId(TenantRef tenant, String trackingId) {
        if (tenant == null) {
            throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "the message names no tenant (tenantId or apiKey)",
                    null, trackingId, null);
        }
        return byLabel.get(tenant.label(), k -> load(tenant, trackingId));
    }

    /**
     * The tenant id of {@code apiKey}, looked up in Kill Bill once and cached; the usage contract's
     * API key resolver (deduplication under the tenant id).
     */
    String tenantIdOfApiKey(String apiKey) {
        return tenantId(TenantRef.ofApiKey(apiKey), null).toString();
    }

    /**
     * The tenant id Kill Bill resolved for the tenant whose {@link TenantRef#label()} is {@code label},
     * else null; never calls Kill Bill (it runs on the pipeline's listener).
     */
    String cachedTenantIdOfLabel(String label) {
        if (label == null) {
            return null;
        }
        UUID id = byLabel.peek(label);
        if (id == null) {
            id = resolvedApiKeyLabels.get(label);
        }
        return id == null ? null : id.toString();
    }

    /**
     * The id of the tenant {@code tenantOrLabel} names when Kill Bill resolved it (a resolved id, or
     * the label of a resolved reference), else null; never calls Kill Bill.
     */
    String cachedTenantId(String tenantOrLabel) {
        String id = cachedTenantIdOfLabel(tenantOrLabel);
        if (id != null || tenantOrLabel == null) {
            return id;
        }
        try {
            UUID asId = UUID.fromString(tenantOrLabel);
            return resolvedIds.contains(asId) ? asId.toString() : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private UUID load(TenantRef tenant, String trackingId) {
        boolean byId = !tenant.byApiKey();
        String ref = byId ? tenant.tenantId() : tenant.apiKey();
        try {
            Tenant t;
            if (byId) {
                UUID id;
                try {
                    id = UUID.fromString(ref);
                } catch (IllegalArgumentException e) {
                    throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "tenantId '" + ref + "' is not a UUID",
                            ref, trackingId, null);
                }
                t = killbill.getTenantUserApi().getTenantById(id);
            } else {
                t = killbill.getTenantUserApi().getTenantByApiKey(ref);
            }
            if (t == null) {
                throw unknownTenant(byId, ref, trackingId, null);
            }
            if (!byId) {
                resolvedApiKeyLabels.put(tenant.label(), t.getId());
            }
            resolvedIds.add(t.getId());
            return t.getId();
        } catch (TenantApiException e) {
            if (FailureClassifier.isTransient(e)) {
                throw FailureClassifier.unavailable("look up tenant", e, ref, trackingId);
            }
            throw unknownTenant(byId, ref, trackingId, e);
        } catch (RuntimeException e) {
            throw FailureClassifier.classified(e, "looking up tenant " + ref, ref, trackingId);
        }
    }

    private static PermanentFailure unknownTenant(boolean byId, String ref, String trackingId, Throwable cause) {
        return new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "no Kill Bill tenant has " + (byId ? "id " + ref
                : "the api key in the message") + "; check the message's " + (byId ? "tenantId" : "apiKey"),
                byId ? ref : null, trackingId, cause);
    }
}
