package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamConfigProperties;
import org.killbill.billing.osgi.api.OSGIKillbill;

import java.time.Clock;

/** The recorder as the plugin assembles it, on a Kill Bill fake, for tests that call it directly. */
final class TestRecorder {

    private TestRecorder() {
    }

    static UsageRecorder of(OSGIKillbill kb, Clock clock, MeterstreamConfigProperties config, TenantRulesSource tenantRules) {
        TenantLookup tenants = new TenantLookup(kb, clock, config);
        UsageRules rules = new UsageRules(tenants, new SubscriptionLookup(kb, KillbillLines.detect(), clock, config, tenants),
                new CatalogUnitsLookup(kb, clock, config), new LateUsageWindow(kb, clock, config), tenantRules, clock);
        return new UsageRecorder(kb, KillbillLines.detect(), rules, clock, config.killbillUsername(), config.killbillPassword());
    }
}
