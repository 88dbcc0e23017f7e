package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamTenantRules;

import java.util.UUID;

/** Where the rules of one tenant come from (Kill Bill's per-tenant plugin configuration in the bundle). */
@FunctionalInterface
public interface TenantRulesSource {

    MeterstreamTenantRules rulesFor(UUID tenantId);
}
