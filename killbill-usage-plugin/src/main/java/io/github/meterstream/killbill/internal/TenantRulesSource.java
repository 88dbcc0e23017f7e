package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamTenantRules;

import java.util.UUID;

/** Where the rules of one tenant come from (Kill Bill's per-tenant plugin configuration in the bundle). */
@FunctionalInterface
public interface TenantRulesSource {

    /**
     * The rules of {@code tenantId}; {@link MeterstreamTenantRules#holdReason() held} ones when its
     * configuration cannot be used.
     *
     * @throws io.github.meterstream.core.failure.TransientFailure when they cannot be read now
     */
    MeterstreamTenantRules rulesFor(UUID tenantId);

    /** Tenants whose usage is held, with the reason (for the status page). */
    default java.util.Map<UUID, String> problems() {
        return java.util.Map.of();
    }
}
