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
        final Set<String> units;
        final Map<String, Period> periodByUnit;

        Version(Instant effective, boolean oldestCatalog, Instant effectiveForExisting, Set<String> units,
                Map<String, Period> periodByUnit) {
            this.effective = effective;
            this.oldestCatalog = oldestCatalog;
            this.effectiveForExisting = effectiveForExisting;
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
     * plan. This mirrors {@code DefaultVersionedCatalog.findCatalogPlanEntry} (Kill Bill 0.22 and
     * 0.24): among the versions in effect at {@code at} (only the tenant's first one if none is
     * yet), newest first, skipping those without the plan, the first that is the oldest catalog or
     * not newer than {@code changePlanDate} (a new subscription takes the version current when it
     * was created or changed) or whose plan's {@code effectiveDateForExistingSubscriptions} is
     * reached at {@code at}; failing all, the newest without such a date.
     */
    Version versionFor(Instant at, Instant changePlanDate) {
        boolean anyInEffect = false;
        for (Version v : versions) {
            anyInEffect |= !v.effective.isAfter(at);
        }
        Version candidate = null;
        for (int i = versions.size() - 1; i >= 0; i--) {
            Version v = versions.get(i);
            boolean inEffect = !v.effective.isAfter(at) || !anyInEffect && v.oldestCatalog;
            if (!inEffect) {
                continue;
            }
            if (v.oldestCatalog || !changePlanDate.isBefore(v.effective)) {
                return v;
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
