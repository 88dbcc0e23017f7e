package io.github.meterstream.killbill.internal;

import org.killbill.billing.security.Logical;
import org.killbill.billing.security.Permission;
import org.killbill.billing.security.SecurityApiException;
import org.killbill.billing.security.api.SecurityApi;
import org.killbill.billing.util.callcontext.TenantContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Who is calling the plugin's REST routes ({@code /plugins/meterstream/...}) and which tenants' data
 * they may see. Kill Bill does not decide this for plugin paths: it sets the request's tenant
 * ({@code killbill_tenant}) only after checking the key and secret, but lets a request with wrong or
 * missing tenant headers through without one, and lets failed or missing Basic credentials through
 * anonymously (also with {@code skipAuthForPlugins}, which concerns Java API calls only). So:
 *
 * <ol>
 *   <li>tenant headers sent, but Kill Bill set no tenant (wrong secret, unknown key): 401;</li>
 *   <li>a verified tenant: that tenant's view, whatever {@code ?tenant=} asks;</li>
 *   <li>no Kill Bill subject logged in (no or wrong Basic credentials): 401;</li>
 *   <li>a subject without {@link #ADMIN_PERMISSION}: 403;</li>
 *   <li>an admin: every tenant, or the one {@code ?tenant=<uuid>} names (400 for anything else);</li>
 *   <li>the security API unavailable or failing: 503, never the admin view.</li>
 * </ol>
 * The subject is the one Kill Bill's Shiro filter bound to the request thread; the plugin never logs
 * anyone in here.
 */
public final class CallerScope {

    /** Held by cross-tenant administrators only ({@code tenant:create}; {@code *:*} implies it). */
    public static final Permission ADMIN_PERMISSION = Permission.TENANT_CAN_CREATE;

    // Kill Bill ignores the context of a permission check (the subject decides); it must not be null
    private static final TenantContext NO_TENANT = new TenantContext() {
        @Override
        public UUID getAccountId() {
            return null;
        }

        @Override
        public UUID getTenantId() {
            return null;
        }
    };

    private final int refusalStatus;
    private final String refusal;
    private final boolean verified;
    private final String tenantId;

    private CallerScope(int refusalStatus, String refusal, boolean verified, String tenantId) {
        this.refusalStatus = refusalStatus;
        this.refusal = refusal;
        this.verified = verified;
        this.tenantId = tenantId;
    }

    /**
     * @param verifiedTenant    the tenant Kill Bill verified for this request, if any
     * @param tenantHeadersSent whether {@code X-Killbill-ApiKey} or {@code X-Killbill-ApiSecret} was sent
     * @param tenantParam       {@code ?tenant=}, honoured for an admin only
     * @param security          Kill Bill's security API, asked only when no tenant was sent
     */
    public static CallerScope resolve(Optional<UUID> verifiedTenant, boolean tenantHeadersSent, Optional<String> tenantParam,
                                      Supplier<SecurityApi> security) {
        if (verifiedTenant.isPresent()) {
            return new CallerScope(0, null, true, verifiedTenant.get().toString());
        }
        if (tenantHeadersSent) {
            return refused(401, "invalid tenant credentials");
        }
        try {
            SecurityApi api = security.get();
            if (!api.isSubjectAuthenticated()) {
                return refused(401, "authentication required: tenant api key and secret, or Kill Bill admin credentials");
            }
            api.checkCurrentUserPermissions(List.of(ADMIN_PERMISSION), Logical.AND, NO_TENANT);
        } catch (SecurityApiException e) {
            return refused(403, "permission " + ADMIN_PERMISSION + " required to see every tenant");
        } catch (RuntimeException e) {
            return refused(503, "Kill Bill's security API is unavailable: " + e);
        }
        String asked = tenantParam.map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
        if (asked == null) {
            return new CallerScope(0, null, true, null);
        }
        try {
            return new CallerScope(0, null, true, UUID.fromString(asked).toString());
        } catch (IllegalArgumentException e) {
            return refused(400, "tenant must be a tenant id (UUID)");
        }
    }

    private static CallerScope refused(int status, String why) {
        return new CallerScope(status, why, false, null);
    }

    /** Whether the caller was identified as a verified tenant or an admin, and may see the answer. */
    public boolean allowed() {
        return verified;
    }

    /** The tenant whose view the caller gets, or {@code null} for every tenant (an admin). Only when {@link #allowed}. */
    public String tenantId() {
        return tenantId;
    }

    /** 400, 401, 403 or 503 when not {@link #allowed}. */
    public int refusalStatus() {
        return refusalStatus;
    }

    /** The JSON body of a refusal: {@code {"error": ...}}. */
    public Map<String, Object> refusalBody() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", refusal);
        return body;
    }

    @Override
    public String toString() {
        return verified ? (tenantId == null ? "admin, every tenant" : "tenant " + tenantId) : refusalStatus + " " + refusal;
    }
}
