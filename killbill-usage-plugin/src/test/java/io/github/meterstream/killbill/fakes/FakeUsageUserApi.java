package io.github.meterstream.killbill.fakes;

import org.killbill.billing.ErrorCode;
import org.killbill.billing.payment.api.PluginProperty;
import org.killbill.billing.usage.api.RolledUpUsage;
import org.killbill.billing.usage.api.SubscriptionUsageRecord;
import org.killbill.billing.usage.api.UnitUsageRecord;
import org.killbill.billing.usage.api.UsageApiException;
import org.killbill.billing.usage.api.UsageRecord;
import org.killbill.billing.usage.api.UsageUserApi;
import org.killbill.billing.util.callcontext.CallContext;
import org.killbill.billing.util.callcontext.TenantContext;
import org.joda.time.DateTime;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@code recordRolledUpUsage} as Kill Bill 0.24 implements it (FACTS.md): an unknown subscription
 * (or another tenant's) is an {@code IllegalStateException}; a tracking id already stored for the
 * subscription and tenant is {@code UsageApiException} code 50000, found by a SELECT before the
 * INSERT with no lock, so two concurrent calls can both insert ({@link #raceWindow} holds calls
 * between check and insert to make that happen). Unit types are not checked.
 */
public final class FakeUsageUserApi implements UsageUserApi {

    /** One stored row of {@code rolled_up_usage}. */
    public static final class Row {
        public final UUID tenantId;
        public final UUID subscriptionId;
        public final String trackingId;
        public final String unitType;
        public final DateTime recordDate;
        public final BigDecimal amount;
        public final CallContext context;

        Row(UUID tenantId, UUID subscriptionId, String trackingId, String unitType, DateTime recordDate, BigDecimal amount,
            CallContext context) {
            this.tenantId = tenantId;
            this.subscriptionId = subscriptionId;
            this.trackingId = trackingId;
            this.unitType = unitType;
            this.recordDate = recordDate;
            this.amount = amount;
            this.context = context;
        }
    }

    private final FakeKillbill killbill;
    public final List<Row> rows = new CopyOnWriteArrayList<>();
    public final AtomicInteger calls = new AtomicInteger();
    /** Failures to throw on the next calls, one per call, before anything else. */
    public final List<Supplier<Exception>> failNext = new CopyOnWriteArrayList<>();
    /** When set, every call waits here between its duplicate check and its insert. */
    public volatile CyclicBarrier raceWindow;
    /** How long a call waits in {@link #raceWindow} for the other one. */
    public volatile long raceWindowMillis = 1000;

    FakeUsageUserApi(FakeKillbill killbill) {
        this.killbill = killbill;
    }

    @Override
    public void recordRolledUpUsage(SubscriptionUsageRecord record, CallContext context) throws UsageApiException {
        calls.incrementAndGet();
        if (!failNext.isEmpty()) {
            Exception e = failNext.remove(0).get();
            if (e instanceof UsageApiException) {
                throw (UsageApiException) e;
            }
            throw (RuntimeException) e;
        }
        UUID tenantId = context.getTenantId();
        if (killbill.find(tenantId, record.getSubscriptionId()) == null) {
            throw new IllegalStateException("No subscription found for id " + record.getSubscriptionId());
        }
        boolean exists = rows.stream().anyMatch(r -> r.tenantId.equals(tenantId) && r.subscriptionId.equals(record.getSubscriptionId())
                && r.trackingId.equals(record.getTrackingId()));
        if (exists) {
            throw new UsageApiException(ErrorCode.USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS, record.getTrackingId());
        }
        CyclicBarrier barrier = raceWindow;
        if (barrier != null) {
            try {
                barrier.await(raceWindowMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                // only one call came: it proceeds alone
            }
        }
        for (UnitUsageRecord u : record.getUnitUsageRecord()) {
            for (UsageRecord r : u.getDailyAmount()) {
                rows.add(new Row(tenantId, record.getSubscriptionId(), record.getTrackingId(), u.getUnitType(), r.getDate(),
                        r.getAmount(), context));
            }
        }
    }

    /** Rows stored under {@code trackingId}. */
    public List<Row> rows(String trackingId) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            if (r.trackingId.equals(trackingId)) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public RolledUpUsage getUsageForSubscription(UUID subscriptionId, String unitType, DateTime startDate, DateTime endDate,
                                                 Iterable<PluginProperty> properties, TenantContext context) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<RolledUpUsage> getAllUsageForSubscription(UUID subscriptionId, List<DateTime> transitionTimes,
                                                         Iterable<PluginProperty> properties, TenantContext context) {
        throw new UnsupportedOperationException();
    }
}
