package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.joda.time.LocalDate;
import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApi;
import org.killbill.billing.entitlement.api.SubscriptionApiException;
import org.killbill.billing.usage.api.UsageRecord;
import org.killbill.billing.util.callcontext.TenantContext;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * {@link KillbillLine} for both Kill Bill lines: the members that differ are looked up once, by
 * reflection, on the API classes Kill Bill exports to the bundle, and called through cached
 * {@link Method}/{@link Constructor} handles. A dated value is read as either a {@code DateTime} or
 * a {@code LocalDate} (midnight UTC; an end date becomes the next midnight, exclusive).
 */
public final class ReflectiveKillbillLine implements KillbillLine {

    private final boolean dateTimeLine;
    private final Constructor<UsageRecord> usageRecordConstructor;
    private final Method byId;
    private final Method byExternalKey;
    private final boolean lookupsTakeIncludeDeleted;

    private ReflectiveKillbillLine() {
        Constructor<UsageRecord> c;
        boolean dt;
        try {
            c = UsageRecord.class.getConstructor(DateTime.class, BigDecimal.class);
            dt = true;
        } catch (NoSuchMethodException e) {
            try {
                c = UsageRecord.class.getConstructor(LocalDate.class, Long.class);
                dt = false;
            } catch (NoSuchMethodException e2) {
                throw new IllegalStateException("this Kill Bill's UsageRecord has neither (DateTime, BigDecimal) nor "
                        + "(LocalDate, Long) constructor; unsupported killbill-api version", e2);
            }
        }
        this.usageRecordConstructor = c;
        this.dateTimeLine = dt;
        Method id;
        Method key;
        boolean withFlag;
        try {
            id = SubscriptionApi.class.getMethod("getSubscriptionForEntitlementId", UUID.class, boolean.class, TenantContext.class);
            key = SubscriptionApi.class.getMethod("getSubscriptionForExternalKey", String.class, boolean.class, TenantContext.class);
            withFlag = true;
        } catch (NoSuchMethodException e) {
            try {
                id = SubscriptionApi.class.getMethod("getSubscriptionForEntitlementId", UUID.class, TenantContext.class);
                key = SubscriptionApi.class.getMethod("getSubscriptionForExternalKey", String.class, TenantContext.class);
                withFlag = false;
            } catch (NoSuchMethodException e2) {
                throw new IllegalStateException("unsupported killbill-api version: SubscriptionApi lookups not found", e2);
            }
        }
        this.byId = id;
        this.byExternalKey = key;
        this.lookupsTakeIncludeDeleted = withFlag;
    }

    /** Detects the line from the killbill-api classes visible to this class. */
    public static ReflectiveKillbillLine detect() {
        return new ReflectiveKillbillLine();
    }

    @Override
    public String describe() {
        return dateTimeLine ? "killbill-api 0.54+ (Kill Bill 0.24): UsageRecord(DateTime, BigDecimal)"
                : "killbill-api 0.53 (Kill Bill 0.22): UsageRecord(LocalDate, Long)";
    }

    @Override
    public Subscription subscriptionById(SubscriptionApi api, UUID id, TenantContext context) throws SubscriptionApiException {
        return lookup(byId, api, id, context);
    }

    @Override
    public Subscription subscriptionByExternalKey(SubscriptionApi api, String externalKey, TenantContext context)
            throws SubscriptionApiException {
        return lookup(byExternalKey, api, externalKey, context);
    }

    private Subscription lookup(Method m, SubscriptionApi api, Object ref, TenantContext context) throws SubscriptionApiException {
        Object[] args = lookupsTakeIncludeDeleted ? new Object[] {ref, Boolean.FALSE, context} : new Object[] {ref, context};
        try {
            return (Subscription) m.invoke(api, args);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof SubscriptionApiException) {
                throw (SubscriptionApiException) t;
            }
            if (t instanceof RuntimeException) {
                throw (RuntimeException) t;
            }
            if (t instanceof Error) {
                throw (Error) t;
            }
            throw new IllegalStateException(t);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Instant startOf(Subscription s) {
        Instant billing = toInstant(call(s, "getBillingStartDate"), false);
        return billing != null ? billing : toInstant(call(s, "getEffectiveStartDate"), false);
    }

    @Override
    public Instant endOf(Subscription s) {
        Instant entitlement = toInstant(call(s, "getEffectiveEndDate"), true);
        return entitlement != null ? entitlement : toInstant(call(s, "getBillingEndDate"), true);
    }

    @Override
    public Instant effectiveDateOf(org.killbill.billing.entitlement.api.SubscriptionEvent event) {
        try {
            return toInstant(org.killbill.billing.entitlement.api.SubscriptionEvent.class.getMethod("getEffectiveDate").invoke(event), false);
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            throw t instanceof RuntimeException ? (RuntimeException) t : new IllegalStateException(t);
        }
    }

    @Override
    public UsageRecord usageRecord(Instant recordDate, BigDecimal amount) {
        Object[] args;
        if (dateTimeLine) {
            args = new Object[] {new DateTime(recordDate.toEpochMilli(), DateTimeZone.UTC), amount};
        } else {
            long whole;
            try {
                whole = amount.longValueExact();
            } catch (ArithmeticException e) {
                throw new PermanentFailure(MeterstreamReasonCodes.INVALID_AMOUNT, "amount " + amount.toPlainString()
                        + " is not a whole number; this Kill Bill (0.22, killbill-api 0.53) stores usage amounts as "
                        + "whole numbers: send whole units or upgrade Kill Bill");
            }
            java.time.LocalDate d = recordDate.atOffset(ZoneOffset.UTC).toLocalDate();
            args = new Object[] {new LocalDate(d.getYear(), d.getMonthValue(), d.getDayOfMonth()), whole};
        }
        try {
            return usageRecordConstructor.newInstance(args);
        } catch (InvocationTargetException | InstantiationException | IllegalAccessException e) {
            throw new IllegalStateException("could not build a UsageRecord", e);
        }
    }

    private static Object call(Subscription target, String method) {
        try {
            // through the interface: Kill Bill's implementation classes are not visible to the bundle
            return Subscription.class.getMethod(method).invoke(target);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            throw t instanceof RuntimeException ? (RuntimeException) t : new IllegalStateException(t);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static Instant toInstant(Object value, boolean endExclusive) {
        if (value == null) {
            return null;
        }
        if (value instanceof DateTime) {
            return Instant.ofEpochMilli(((DateTime) value).getMillis());
        }
        if (value instanceof LocalDate) {
            LocalDate d = (LocalDate) value;
            java.time.LocalDate day = java.time.LocalDate.of(d.getYear(), d.getMonthOfYear(), d.getDayOfMonth());
            return (endExclusive ? day.plusDays(1) : day).atStartOfDay().toInstant(ZoneOffset.UTC);
        }
        throw new IllegalStateException("unexpected date type " + value.getClass().getName());
    }
}
