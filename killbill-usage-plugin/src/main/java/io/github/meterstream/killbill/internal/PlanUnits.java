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
 * discount, evergreen; blocks, tiered blocks, limits and tier limits), and the billing period of
 * the usage section that bills each unit.
 */
final class PlanUnits {

    /** The plan as one catalog version defines it. */
    static final class Version {
        final Instant effective;
        final Set<String> units;
        final Map<String, Period> periodByUnit;

        Version(Instant effective, Set<String> units, Map<String, Period> periodByUnit) {
            this.effective = effective;
            this.units = Collections.unmodifiableSet(units);
            this.periodByUnit = Collections.unmodifiableMap(periodByUnit);
        }
    }

    final String planName;
    /** Oldest first. */
    final List<Version> versions;

    PlanUnits(String planName, List<Version> versions) {
        this.planName = planName;
        this.versions = Collections.unmodifiableList(versions);
    }

    /**
     * The versions that apply to a record dated {@code at}: the one in effect then and every older
     * one that contains the plan (a subscription keeps the version it started on). A record dated
     * before the first version containing the plan sees that first version.
     */
    private List<Version> applicable(Instant at) {
        int last = -1;
        for (int i = 0; i < versions.size(); i++) {
            if (!versions.get(i).effective.isAfter(at)) {
                last = i;
            }
        }
        return last < 0 ? versions.subList(0, Math.min(1, versions.size())) : versions.subList(0, last + 1);
    }

    boolean allows(String unit, Instant at) {
        for (Version v : applicable(at)) {
            if (v.units.contains(unit)) {
                return true;
            }
        }
        return false;
    }

    /** The units known for a record dated {@code at}, sorted, for error messages. */
    Set<String> unitsAt(Instant at) {
        Set<String> all = new TreeSet<>();
        for (Version v : applicable(at)) {
            all.addAll(v.units);
        }
        return all;
    }

    /** The billing period of the usage section of {@code unit} (newest applicable version), or null. */
    Period periodOf(String unit, Instant at) {
        List<Version> a = applicable(at);
        for (int i = a.size() - 1; i >= 0; i--) {
            Period p = a.get(i).periodByUnit.get(unit);
            if (p != null) {
                return p;
            }
        }
        return null;
    }
}
