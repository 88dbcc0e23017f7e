package io.github.meterstream.killbill.internal;

import java.time.Instant;
import java.time.Period;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The unit types a plan uses in each catalog version that contains it (every phase: trial,
 * discount, evergreen; blocks, tiered blocks, limits and tier limits), the billing period of the
 * usage section that bills each unit, and the choice of version Kill Bill makes for a subscription
 * at a date.
 */
final class PlanUnits {

    /** The plan as one catalog version defines it. */
    static final class Version {
        final Instant effective;
        /** The tenant's oldest catalog version (Kill Bill always accepts it, see #760). */
        final boolean oldestCatalog;
        /** The plan's {@code effectiveDateForExistingSubscriptions} in this version, or null. */
        final Instant effectiveForExisting;
        /** The catalog version just before this one lacks the plan. */
        final boolean afterGap;
        final Set<String> units;
        final Map<String, Period> periodByUnit;

        Version(Instant effective, boolean oldestCatalog, Instant effectiveForExisting, boolean afterGap, Set<String> units,
                Map<String, Period> periodByUnit) {
            this.effective = effective;
            this.oldestCatalog = oldestCatalog;
            this.effectiveForExisting = effectiveForExisting;
            this.afterGap = afterGap;
            this.units = Collections.unmodifiableSet(units);
            this.periodByUnit = Collections.unmodifiableMap(periodByUnit);
        }

        @Override
        public String toString() {
            return "catalog version of " + effective;
        }
    }

    final String planName;
    /** Oldest first; only versions that contain the plan. */
    final List<Version> versions;

    PlanUnits(String planName, List<Version> versions) {
        this.planName = planName;
        this.versions = Collections.unmodifiableList(versions);
    }

    /**
     * The version Kill Bill bills usage dated {@code at} under, for a subscription whose last
     * creation or plan change took effect at {@code changePlanDate}; null when no version has the
     * plan. As Kill Bill 0.22 and 0.24 decide it (the catalog lookup at creation or change, then the
     * billing events of {@code DefaultSubscriptionBase.getSubscriptionBillingEvents}), checked
     * variant by variant against a real 0.22.26 server ({@code CatalogFidelityIT}):
     * <ol>
     *   <li>the subscription starts on the newest version in effect at {@code at} that is the
     *       tenant's oldest catalog or not newer than {@code changePlanDate};</li>
     *   <li>it moves to a newer version of its plan once that version's {@code
     *       effectiveDateForExistingSubscriptions} is reached at {@code at}, walking the newer
     *       versions one by one: a catalog version without the plan ends the walk, so a plan
     *       retired and later brought back keeps its existing subscriptions where they were.</li>
     * </ol>
     * With no starting version (a subscription older than every version with its plan), the newest
     * version in effect whose date for existing subscriptions is reached, else the newest without one.
     */
    Version versionFor(Instant at, Instant changePlanDate) {
        boolean anyInEffect = false;
        for (Version v : versions) {
            anyInEffect |= !v.effective.isAfter(at);
        }
        int start = -1;
        for (int i = versions.size() - 1; i >= 0 && start < 0; i--) {
            Version v = versions.get(i);
            if (inEffect(v, at, anyInEffect) && (v.oldestCatalog || !changePlanDate.isBefore(v.effective))) {
                start = i;
            }
        }
        if (start < 0) {
            return withoutStartingVersion(at, anyInEffect);
        }
        Version chosen = versions.get(start);
        for (int i = start + 1; i < versions.size(); i++) {
            Version v = versions.get(i);
            if (v.afterGap || !inEffect(v, at, anyInEffect)) {
                break;
            }
            if (v.effectiveForExisting != null && !at.isBefore(v.effectiveForExisting)) {
                chosen = v;
            }
        }
        return chosen;
    }

    private static boolean inEffect(Version v, Instant at, boolean anyInEffect) {
        return !v.effective.isAfter(at) || !anyInEffect && v.oldestCatalog;
    }

    private Version withoutStartingVersion(Instant at, boolean anyInEffect) {
        Version candidate = null;
        for (int i = versions.size() - 1; i >= 0; i--) {
            Version v = versions.get(i);
            if (!inEffect(v, at, anyInEffect)) {
                continue;
            }
            if (v.effectiveForExisting != null) {
                if (!at.isBefore(v.effectiveForExisting)) {
                    return v;
                }
            } else if (candidate == null) {
                candidate = v;
            }
        }
        return candidate;
    }

    /** The units of the version {@link #versionFor} picks, sorted, for error messages. */
    static Set<String> unitsOf(Version v) {
        return v == null ? Set.of() : new TreeSet<>(v.units);
    }
}
