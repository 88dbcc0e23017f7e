package io.github.meterstream.killbill.internal;

import java.time.Instant;
import java.time.LocalDate;
import java.util.UUID;

/** What the rules need to know about a subscription, read once from Kill Bill and cached. */
final class ResolvedSubscription {

    final UUID id;
    final UUID tenantId;
    final String planName;
    /** Billing start, or null when Kill Bill did not say. */
    final Instant start;
    /** Exclusive end, or null while open. */
    final Instant end;
    /** Charged-through date, or null when nothing was invoiced yet. */
    final LocalDate chargedThrough;

    ResolvedSubscription(UUID id, UUID tenantId, String planName, Instant start, Instant end, LocalDate chargedThrough) {
        this.id = id;
        this.tenantId = tenantId;
        this.planName = planName;
        this.start = start;
        this.end = end;
        this.chargedThrough = chargedThrough;
    }

    @Override
    public String toString() {
        return "subscription " + id + " (plan " + planName + ", start " + start + ", end " + end + ", charged through "
                + chargedThrough + ')';
    }
}
