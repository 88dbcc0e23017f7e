package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.usage.UnitUsageRecord;
import io.github.meterstream.core.usage.SubscriptionResolver;
import io.github.meterstream.core.usage.UsageContractConfig;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;
import io.github.meterstream.core.usage.UsageRecordEntry;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The usage message contract of broker-core, bound to the plugin: messages naming their tenant by
 * api key are deduplicated under the tenant id that Kill Bill resolves for the key, and messages
 * naming their subscription by external key under the subscription id Kill Bill resolves for it (so
 * the same usage sent once with the id and once with the key is one message: one idempotency claim,
 * and once the key is cached one ordering lane). Both lookups run on worker threads when the key is
 * computed; Kill Bill not answering there is a transient failure (retried), an unknown tenant or
 * subscription a dead-letter.
 */
public final class UsageMessageBinding implements UsageBinding<UsageMessage> {

    private final UsageMessageContract contract;

    public UsageMessageBinding(UsageContractConfig config, KillbillLookups lookups) {
        this.contract = new UsageMessageContract(config).withApiKeyResolver(lookups::tenantIdOfApiKey)
                .withSubscriptionResolver(new SubscriptionResolver() {
                    @Override
                    public String subscriptionId(String tenantId, String externalKey) {
                        return lookups.subscriptionIdOfExternalKey(tenantId, externalKey);
                    }

                    @Override
                    public String cachedSubscriptionId(String tenantId, String externalKey) {
                        return lookups.cachedSubscriptionIdOfExternalKey(tenantId, externalKey);
                    }
                });
    }

    @Override
    public MessageContract<UsageMessage> contract() {
        return contract;
    }

    @Override
    public UsageRequest view(UsageMessage m) {
        List<UsageRequest.Unit> units = new ArrayList<>();
        for (UnitUsageRecord u : m.unitUsageRecords()) {
            List<UsageRequest.Amount> amounts = new ArrayList<>();
            for (UsageRecordEntry e : u.usageRecords()) {
                amounts.add(new Amount(e.recordDate(), e.amount()));
            }
            units.add(new Unit(u.unitType(), amounts));
        }
        return new Request(m, Collections.unmodifiableList(units));
    }

    private static final class Amount implements UsageRequest.Amount {
        private final Instant date;
        private final BigDecimal amount;

        Amount(Instant date, BigDecimal amount) {
            this.date = date;
            this.amount = amount;
        }

        @Override
        public Instant recordDate() {
            return date;
        }

        @Override
        public BigDecimal amount() {
            return amount;
        }
    }

    private static final class Unit implements UsageRequest.Unit {
        private final String type;
        private final List<UsageRequest.Amount> records;

        Unit(String type, List<UsageRequest.Amount> records) {
            this.type = type;
            this.records = records;
        }

        @Override
        public String unitType() {
            return type;
        }

        @Override
        public List<UsageRequest.Amount> records() {
            return records;
        }
    }

    private static final class Request implements UsageRequest {
        private final UsageMessage m;
        private final List<UsageRequest.Unit> units;

        Request(UsageMessage m, List<UsageRequest.Unit> units) {
            this.m = m;
            this.units = units;
        }

        @Override
        public String tenantId() {
            return m.tenantId();
        }

        @Override
        public String apiKey() {
            return m.apiKey();
        }

        @Override
        public String subscriptionId() {
            return m.subscriptionId();
        }

        @Override
        public String subscriptionExternalKey() {
            return m.subscriptionExternalKey();
        }

        @Override
        public String trackingId() {
            return m.trackingId();
        }

        @Override
        public List<UsageRequest.Unit> units() {
            return units;
        }
    }
}
