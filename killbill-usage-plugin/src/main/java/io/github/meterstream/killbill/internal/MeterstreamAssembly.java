package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.line.KillbillLine;
import org.killbill.billing.osgi.api.OSGIKillbill;

import java.time.Clock;

/**
 * Puts the plugin together from what Kill Bill gives it (its API, clock, rules source) and what the
 * deployment chooses (source factories, idempotency store, metrics). The activator calls it; tests
 * call it with fakes, outside OSGi.
 */
public final class MeterstreamAssembly {

    private MeterstreamAssembly() {
    }

    /**
     * @param line the Kill Bill line the activator detected at start ({@link KillbillLines#detect()})
     */
    public static MeterstreamRuntime<UsageMessage> build(MeterstreamConfigProperties config, OSGIKillbill killbill, KillbillLine line,
                                                         Clock clock, TenantRulesSource tenantRules, BrokerSourceFactories factories,
                                                         IdempotencyStore idempotencyStore, MetricsSink metrics) {
        KillbillLookups lookups = new KillbillLookups(killbill, line, clock, config);
        UsageRules rules = new UsageRules(lookups, tenantRules, clock);
        UsageRecorder recorder = new UsageRecorder(killbill, lookups, rules, clock, config.killbillUsername(), config.killbillPassword());
        UsageMessageBinding binding = new UsageMessageBinding(config.usageContractConfig(), lookups);
        // only the JDBC store keeps keys forever; the in-memory one lives as long as the plugin
        IdempotencyPurger purger = idempotencyStore instanceof JdbcIdempotencyStore
                ? new IdempotencyPurger(((JdbcIdempotencyStore) idempotencyStore)::purgeCompletedBefore, clock,
                        config.idempotencyRetention(), config.idempotencyPurgeInterval())
                : null;
        return new MeterstreamRuntime<>(config, factories, idempotencyStore, binding, recorder, lookups, clock, metrics, purger);
    }
}
