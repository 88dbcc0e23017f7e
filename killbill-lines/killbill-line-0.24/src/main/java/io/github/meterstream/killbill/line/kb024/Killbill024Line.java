package io.github.meterstream.killbill.line.kb024;

import io.github.meterstream.killbill.line.KillbillLine;
import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApi;
import org.killbill.billing.entitlement.api.SubscriptionApiException;
import org.killbill.billing.entitlement.api.SubscriptionEvent;
import org.killbill.billing.usage.api.UsageRecord;
import org.killbill.billing.util.callcontext.TenantContext;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * {@link KillbillLine} for Kill Bill 0.24 (killbill-api 0.54), compiled against that API: usage is
 * recorded at an instant with a decimal amount ({@code UsageRecord(DateTime, BigDecimal)}, stored
 * as {@code decimal(18,9)}), subscription dates are instants, and subscription lookups leave out
 * deleted events.
 */
public final class Killbill024Line implements KillbillLine {

    @Override
    public String describe() {
        return "killbill-api 0.54+ (Kill Bill 0.24): UsageRecord(DateTime, BigDecimal)";
    }

    @Override
    public Subscription subscriptionById(SubscriptionApi api, UUID id, TenantContext context) throws SubscriptionApiException {
        return api.getSubscriptionForEntitlementId(id, false, context);
    }

    @Override
    public Subscription subscriptionByExternalKey(SubscriptionApi api, String externalKey, TenantContext context)
            throws SubscriptionApiException {
        return api.getSubscriptionForExternalKey(externalKey, false, context);
    }

    @Override
    public Instant startOf(Subscription s) {
        DateTime billing = s.getBillingStartDate();
        return toInstant(billing != null ? billing : s.getEffectiveStartDate());
    }

    @Override
    public Instant endOf(Subscription s) {
        DateTime entitlement = s.getEffectiveEndDate();
        return toInstant(entitlement != null ? entitlement : s.getBillingEndDate());
    }

    @Override
    public Instant effectiveDateOf(SubscriptionEvent event) {
        return toInstant(event.getEffectiveDate());
    }

    @Override
    public UsageRecord usageRecord(Instant recordDate, BigDecimal amount) {
        return new UsageRecord(new DateTime(recordDate.toEpochMilli(), DateTimeZone.UTC), amount);
    }

    private static Instant toInstant(DateTime value) {
        return value == null ? null : Instant.ofEpochMilli(value.getMillis());
    }

    @Override
    public String toString() {
        return describe();
    }
}
