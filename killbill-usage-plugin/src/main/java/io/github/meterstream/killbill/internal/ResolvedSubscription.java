package io.github.meterstream.killbill.internal;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/** What the rules need to know about a subscription, read once from Kill Bill and cached. */
final class ResolvedSubscription {

    /**
     * A plan the subscription is on from {@code from} (its creation or a plan change) until the next
     * span. {@code from} is also what Kill Bill calls the subscription's change-plan date when it
     * picks the catalog version of the plan.
     */
    static final class PlanSpan {
        final Instant from;
        final String planName;

        PlanSpan(Instant from, String planName) {
            this.from = from;
            this.planName = planName;
        }

        @Override
        public String toString() {
            return planName + " from " + from;
        }
    }

    final UUID id;
    final UUID tenantId;
    /** The last active plan (for messages). */
    final String planName;
    /** Billing start, or null when Kill Bill did not say. */
    final Instant start;
    /** Exclusive end, or null while open. */
    final Instant end;
    /** Charged-through date, or null when nothing was invoiced yet. */
    final LocalDate chargedThrough;
    /** Oldest first; never empty when {@code planName} is set. */
    final List<PlanSpan> plans;

    ResolvedSubscription(UUID id, UUID tenantId, String planName, Instant start, Instant end, LocalDate chargedThrough,
                         List<PlanSpan> plans) {
        this.id = id;
        this.tenantId = tenantId;
        this.planName = planName;
        this.start = start;
        this.end = end;
        this.chargedThrough = chargedThrough;
        this.plans = Collections.unmodifiableList(plans);
    }

    /** The plan in effect at {@code at}; the first one for a date before it (refused as too early anyway), null if none. */
    PlanSpan planAt(Instant at) {
        PlanSpan found = plans.isEmpty() ? null : plans.get(0);
        for (PlanSpan p : plans) {
            if (!p.from.isAfter(at)) {
                found = p;
            }
        }
        return found;
    }

    @Override
    public String toString() {
        return "subscription " + id + " (plan " + planName + ", start " + start + ", end " + end + ", charged through "
                + chargedThrough + ')';
    }
}
