package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.usage.TenantRef;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import io.github.meterstream.killbill.line.KillbillLine;
import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApiException;
import org.killbill.billing.entitlement.api.SubscriptionEvent;
import org.killbill.billing.entitlement.api.SubscriptionEventType;
import org.killbill.billing.osgi.api.OSGIKillbill;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Kill Bill subscriptions by id or external key within a tenant, with what the rules need of them
 * ({@link ResolvedSubscription}: start, end, charged-through date, plans over time), cached for
 * {@code cache.subscriptions.ttl}. An unknown subscription is {@link PermanentFailure}
 * {@code UNKNOWN_SUBSCRIPTION}; Kill Bill not answering a {@link io.github.meterstream.core.failure.TransientFailure}.
 */
final class SubscriptionLookup {

    private final OSGIKillbill killbill;
    private final KillbillLine line;
    private final Clock clock;
    private final TenantLookup tenants;
    private final BoundedCache<String, ResolvedSubscription> subscriptions;

    SubscriptionLookup(OSGIKillbill killbill, KillbillLine line, Clock clock, MeterstreamConfigProperties config, TenantLookup tenants) {
        this.killbill = killbill;
        this.line = line;
        this.clock = clock;
        this.tenants = tenants;
        this.subscriptions = new BoundedCache<>(config.cacheSubscriptions(), config.cacheSubscriptionsTtl(), clock);
    }

    /** The subscription {@code m} names, looked up within {@code tenantId}. */
    ResolvedSubscription subscription(UUID tenantId, UsageMessage m) {
        boolean byId = m.subscriptionId() != null;
        String ref = byId ? m.subscriptionId() : m.subscriptionExternalKey();
        if (ref == null) {
            throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_SUBSCRIPTION,
                    "the message names no subscription (subscriptionId or subscriptionExternalKey)", tenantId.toString(), m.trackingId(), null);
        }
        return subscriptions.get(key(tenantId.toString(), byId, ref), k -> load(tenantId, byId, ref, m.trackingId()));
    }

    /**
     * The id of the subscription with {@code externalKey} in tenant {@code tenantId}, looked up once
     * and cached; the usage contract's subscription resolver (deduplication under the id).
     */
    String subscriptionIdOfExternalKey(String tenantId, String externalKey) {
        UUID tenant;
        try {
            tenant = UUID.fromString(tenantId);
        } catch (IllegalArgumentException e) {
            throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "tenantId '" + tenantId + "' is not a UUID",
                    tenantId, null, null);
        }
        // the tenant first, so that an unknown tenant is reported as such, not as an unknown subscription
        UUID known = tenants.tenantId(TenantRef.ofId(tenantId), null);
        return subscriptions.get(key(known.toString(), false, externalKey), k -> load(tenant, false, externalKey, null)).id.toString();
    }

    /** The id of {@code externalKey}'s subscription if it was looked up already, else null; never calls Kill Bill. */
    String cachedSubscriptionIdOfExternalKey(String tenantId, String externalKey) {
        ResolvedSubscription s = subscriptions.peek(key(tenantId, false, externalKey));
        return s == null ? null : s.id.toString();
    }

    private static String key(String tenantId, boolean byId, String ref) {
        return tenantId + (byId ? "/id:" : "/key:") + ref;
    }

    private ResolvedSubscription load(UUID tenantId, boolean byId, String ref, String trackingId) {
        MeterstreamCallContext context = new MeterstreamCallContext(tenantId, clock.instant(), null);
        try {
            Subscription s;
            if (byId) {
                UUID id;
                try {
                    id = UUID.fromString(ref);
                } catch (IllegalArgumentException e) {
                    throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_SUBSCRIPTION, "subscriptionId '" + ref
                            + "' is not a UUID", tenantId.toString(), trackingId, null);
                }
                s = line.subscriptionById(killbill.getSubscriptionApi(), id, context);
            } else {
                s = line.subscriptionByExternalKey(killbill.getSubscriptionApi(), ref, context);
            }
            if (s == null) {
                throw unknownSubscription(tenantId, byId, ref, trackingId, null);
            }
            String plan = s.getLastActivePlan() == null ? null : s.getLastActivePlan().getName();
            org.joda.time.LocalDate ctd = s.getChargedThroughDate();
            Instant start = line.startOf(s);
            return new ResolvedSubscription(s.getId(), tenantId, plan, start, line.endOf(s),
                    ctd == null ? null : LocalDate.of(ctd.getYear(), ctd.getMonthOfYear(), ctd.getDayOfMonth()),
                    planSpans(s, plan, start));
        } catch (SubscriptionApiException e) {
            if (FailureClassifier.isTransient(e)) {
                throw FailureClassifier.unavailable("look up subscription", e, tenantId.toString(), trackingId);
            }
            throw unknownSubscription(tenantId, byId, ref, trackingId, e);
        } catch (RuntimeException e) {
            if (FailureClassifier.isNotFound(e)) {
                throw unknownSubscription(tenantId, byId, ref, trackingId, e);
            }
            throw FailureClassifier.classified(e, "looking up subscription " + ref, tenantId.toString(), trackingId);
        }
    }

    /**
     * The plans of {@code s} over time, from its events: the creation (START_BILLING, else
     * START_ENTITLEMENT) and each CHANGE, with their next plan. Kill Bill bills usage dated in a span
     * under that span's plan, and picks the plan's catalog version from the span's start (its
     * change-plan date). Without events: the last active plan from the start.
     */
    private List<ResolvedSubscription.PlanSpan> planSpans(Subscription s, String lastActivePlan, Instant start) {
        List<SubscriptionEvent> events = s.getSubscriptionEvents();
        List<ResolvedSubscription.PlanSpan> spans = new ArrayList<>();
        if (events != null) {
            boolean billingStart = events.stream().anyMatch(e -> e.getSubscriptionEventType() == SubscriptionEventType.START_BILLING);
            List<SubscriptionEvent> sorted = new ArrayList<>(events);
            sorted.sort(Comparator.comparing(e -> line.effectiveDateOf(e), Comparator.nullsFirst(Comparator.naturalOrder())));
            for (SubscriptionEvent e : sorted) {
                SubscriptionEventType type = e.getSubscriptionEventType();
                boolean creation = type == (billingStart ? SubscriptionEventType.START_BILLING : SubscriptionEventType.START_ENTITLEMENT);
                Instant at = line.effectiveDateOf(e);
                if ((creation || type == SubscriptionEventType.CHANGE) && e.getNextPlan() != null && at != null) {
                    spans.add(new ResolvedSubscription.PlanSpan(at, e.getNextPlan().getName()));
                }
            }
        }
        if (spans.isEmpty() && lastActivePlan != null) {
            spans.add(new ResolvedSubscription.PlanSpan(start == null ? Instant.EPOCH : start, lastActivePlan));
        }
        return spans;
    }

    /** {@code UNKNOWN_SUBSCRIPTION}: the message's subscription is not one of {@code tenantId}'s. */
    static PermanentFailure unknownSubscription(UUID tenantId, boolean byId, String ref, String trackingId, Throwable cause) {
        return new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_SUBSCRIPTION, "tenant " + tenantId + " has no subscription with "
                + (byId ? "id " : "external key ") + ref + "; check the message's " + (byId ? "subscriptionId" : "subscriptionExternalKey")
                + " and tenant", tenantId.toString(), trackingId, cause);
    }
}
