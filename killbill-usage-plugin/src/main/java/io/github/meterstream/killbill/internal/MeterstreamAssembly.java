package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.deadletter.DeadLetterStore;
import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.core.usage.SubscriptionResolver;
import io.github.meterstream.core.usage.UsageContractConfig;
import io.github.meterstream.core.usage.UsageMessageContract;
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
    public static MeterstreamRuntime build(MeterstreamConfigProperties config, OSGIKillbill killbill, KillbillLine line,
                                           Clock clock, TenantRulesSource tenantRules, BrokerSourceFactories factories,
                                           IdempotencyStore idempotencyStore, JdbcDeadLetterStore rejections, MetricsSink metrics) {
        TenantLookup tenants = new TenantLookup(killbill, clock, config);
        SubscriptionLookup subscriptions = new SubscriptionLookup(killbill, line, clock, config, tenants);
        UsageRules rules = new UsageRules(tenants, subscriptions, new CatalogUnitsLookup(killbill, clock, config),
                new LateUsageWindow(killbill, clock, config), tenantRules, clock);
        UsageRecorder recorder = new UsageRecorder(killbill, line, rules, clock, config.killbillUsername(), config.killbillPassword());
        // only the JDBC store keeps keys forever; the in-memory one lives as long as the plugin
        IdempotencyPurger.Purge idempotencyPurge = idempotencyStore instanceof JdbcIdempotencyStore
                ? ((JdbcIdempotencyStore) idempotencyStore)::purgeCompletedBefore
                : null;
        IdempotencyPurger purger = purger(idempotencyPurge, rejections, clock, config);
        DeadLetterStore tenantRejections = rejections == null ? null : new TenantResolvedRejections(rejections, tenants::cachedTenantId);
        return new MeterstreamRuntime(config, factories, idempotencyStore, usageContract(config.usageContractConfig(), tenants, subscriptions),
                recorder, tenants, line, clock, metrics, purger, tenantRejections);
    }

    /**
     * One schedule ({@code idempotency.purge-interval}) for both tables: idempotency keys past
     * {@code idempotency.retention}, rejections last seen before {@code rejections.retention}. Each
     * purge runs even when the other fails; a failure is thrown after both, for the purger to log.
     */
    static IdempotencyPurger purger(IdempotencyPurger.Purge idempotency, JdbcDeadLetterStore rejections, Clock clock,
                                    MeterstreamConfigProperties config) {
        if (idempotency == null && rejections == null) {
            return null;
        }
        IdempotencyPurger.Purge both = cutoff -> {
            RuntimeException failed = null;
            int deleted = 0;
            if (idempotency != null) {
                try {
                    deleted += idempotency.purgeCompletedBefore(cutoff);
                } catch (RuntimeException e) {
                    failed = e;
                }
            }
            if (rejections != null) {
                deleted += rejections.purgeLastSeenBefore(clock.instant().minus(config.rejectionsRetention()));
            }
            if (failed != null) {
                throw failed;
            }
            return deleted;
        };
        return new IdempotencyPurger(both, clock, config.idempotencyRetention(), config.idempotencyPurgeInterval());
    }

    /**
     * broker-core's usage contract, bound to Kill Bill: messages naming their tenant by api key are
     * deduplicated under the tenant id Kill Bill resolves for the key, and messages naming their
     * subscription by external key under the subscription id Kill Bill resolves for it (so the same
     * usage sent once with the id and once with the key is one message: one idempotency claim, and
     * once the key is cached one ordering lane). Both lookups run on worker threads when the key is
     * computed; Kill Bill not answering there is a transient failure (retried), an unknown tenant or
     * subscription a dead-letter. The plugin reads the contract's {@code UsageMessage} as it is: one
     * model of a usage message, from the wire to Kill Bill.
     */
    static UsageMessageContract usageContract(UsageContractConfig config, TenantLookup tenants, SubscriptionLookup subscriptions) {
        return new UsageMessageContract(config).withApiKeyResolver(tenants::tenantIdOfApiKey)
                .withSubscriptionResolver(new SubscriptionResolver() {
                    @Override
                    public String subscriptionId(String tenantId, String externalKey) {
                        return subscriptions.subscriptionIdOfExternalKey(tenantId, externalKey);
                    }

                    @Override
                    public String cachedSubscriptionId(String tenantId, String externalKey) {
                        return subscriptions.cachedSubscriptionIdOfExternalKey(tenantId, externalKey);
                    }
                });
    }
}
