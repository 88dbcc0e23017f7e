package io.github.meterstream.killbill.line.kb022;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.killbill.line.KillbillLine;
import org.joda.time.LocalDate;
import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApi;
import org.killbill.billing.entitlement.api.SubscriptionApiException;
import org.killbill.billing.entitlement.api.SubscriptionEvent;
import org.killbill.billing.usage.api.UsageRecord;
import org.killbill.billing.util.callcontext.TenantContext;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * {@link KillbillLine} for Kill Bill 0.22 (killbill-api 0.53), compiled against that API: usage is
 * recorded per day ({@code UsageRecord(LocalDate, Long)}) in whole units (0.22's
 * {@code rolled_up_usage.amount} is a {@code bigint}), and subscription dates are days, read as
 * midnight UTC (an end day as the next midnight, exclusive).
 */
public final class Killbill022Line implements KillbillLine {

    @Override
    public String describe() {
        return "killbill-api 0.53 (Kill Bill 0.22): UsageRecord(LocalDate, Long)";
    }

    @Override
    public Subscription subscriptionById(SubscriptionApi api, UUID id, TenantContext context) throws SubscriptionApiException {
        return api.getSubscriptionForEntitlementId(id, context);
    }

    @Override
    public Subscription subscriptionByExternalKey(SubscriptionApi api, String externalKey, TenantContext context)
            throws SubscriptionApiException {
        return api.getSubscriptionForExternalKey(externalKey, context);
    }

    @Override
    public Instant startOf(Subscription s) {
        LocalDate billing = s.getBillingStartDate();
        return startOfDay(billing != null ? billing : s.getEffectiveStartDate());
    }

    @Override
    public Instant endOf(Subscription s) {
        LocalDate entitlement = s.getEffectiveEndDate();
        return endOfDay(entitlement != null ? entitlement : s.getBillingEndDate());
    }

    @Override
    public Instant effectiveDateOf(SubscriptionEvent event) {
        return startOfDay(event.getEffectiveDate());
    }

    @Override
    public UsageRecord usageRecord(Instant recordDate, BigDecimal amount) {
        long whole;
        try {
            whole = amount.longValueExact();
        } catch (ArithmeticException e) {
            throw new PermanentFailure(INVALID_AMOUNT, "amount " + amount.toPlainString()
                    + " is not a whole number; this Kill Bill (0.22, killbill-api 0.53) stores usage amounts as "
                    + "whole numbers: send whole units or upgrade Kill Bill");
        }
        java.time.LocalDate day = recordDate.atOffset(ZoneOffset.UTC).toLocalDate();
        return new UsageRecord(new LocalDate(day.getYear(), day.getMonthValue(), day.getDayOfMonth()), whole);
    }

    /** Midnight UTC starting {@code day}, or {@code null}. */
    static Instant startOfDay(LocalDate day) {
        return day == null ? null : toJavaDay(day).atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    /** Midnight UTC ending {@code day} (the next day's start: an end is exclusive), or {@code null}. */
    static Instant endOfDay(LocalDate day) {
        return day == null ? null : toJavaDay(day).plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    private static java.time.LocalDate toJavaDay(LocalDate day) {
        return java.time.LocalDate.of(day.getYear(), day.getMonthOfYear(), day.getDayOfMonth());
    }

    @Override
    public String toString() {
        return describe();
    }
}
