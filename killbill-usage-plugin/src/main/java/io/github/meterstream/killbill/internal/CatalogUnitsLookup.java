package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import org.killbill.billing.catalog.api.BillingPeriod;
import org.killbill.billing.catalog.api.Block;
import org.killbill.billing.catalog.api.CatalogApiException;
import org.killbill.billing.catalog.api.Limit;
import org.killbill.billing.catalog.api.Plan;
import org.killbill.billing.catalog.api.PlanPhase;
import org.killbill.billing.catalog.api.StaticCatalog;
import org.killbill.billing.catalog.api.Tier;
import org.killbill.billing.catalog.api.Unit;
import org.killbill.billing.catalog.api.Usage;
import org.killbill.billing.catalog.api.VersionedCatalog;
import org.killbill.billing.osgi.api.OSGIKillbill;

import java.time.Clock;
import java.time.Period;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The units a plan bills in each of the tenant's catalog versions ({@link PlanUnits}), read from
 * Kill Bill's catalog and cached per tenant and plan for {@code cache.catalog.ttl}. A tenant without
 * a readable catalog is {@link PermanentFailure} {@code UNIT_NOT_IN_PLAN}; Kill Bill not answering a
 * {@link io.github.meterstream.core.failure.TransientFailure}.
 */
final class CatalogUnitsLookup {

    private final OSGIKillbill killbill;
    private final Clock clock;
    private final BoundedCache<String, PlanUnits> plans;

    CatalogUnitsLookup(OSGIKillbill killbill, Clock clock, MeterstreamConfigProperties config) {
        this.killbill = killbill;
        this.clock = clock;
        this.plans = new BoundedCache<>(config.cacheTenants() * 20, config.cacheCatalogTtl(), clock);
    }

    /**
     * The units of {@code planName} in every catalog version of the tenant that contains it, with
     * what Kill Bill needs to pick one of them per subscription and date.
     */
    PlanUnits planUnits(UUID tenantId, String planName, String trackingId) {
        return plans.get(tenantId + "/" + planName, k -> loadPlan(tenantId, planName, trackingId));
    }

    private PlanUnits loadPlan(UUID tenantId, String planName, String trackingId) {
        MeterstreamCallContext context = new MeterstreamCallContext(tenantId, clock.instant(), null);
        try {
            VersionedCatalog catalog = killbill.getCatalogUserApi().getCatalog("unused", context);
            List<StaticCatalog> versions = new ArrayList<>(catalog.getVersions());
            versions.sort(Comparator.comparing(StaticCatalog::getEffectiveDate));
            List<PlanUnits.Version> found = new ArrayList<>();
            boolean oldest = true;
            boolean previousLacksPlan = false;
            for (StaticCatalog v : versions) {
                boolean oldestCatalog = oldest;
                oldest = false;
                Plan plan;
                try {
                    plan = v.findPlan(planName);
                } catch (CatalogApiException e) {
                    plan = null; // this version does not have the plan
                }
                boolean afterGap = previousLacksPlan;
                previousLacksPlan = plan == null;
                if (plan == null) {
                    continue;
                }
                Set<String> units = new HashSet<>();
                Map<String, Period> periods = new HashMap<>();
                for (PlanPhase phase : plan.getAllPhases()) {
                    Usage[] usages = phase.getUsages();
                    if (usages == null) {
                        continue;
                    }
                    for (Usage u : usages) {
                        Set<String> ofUsage = new HashSet<>();
                        if (u.getBlocks() != null) {
                            for (Block b : u.getBlocks()) {
                                add(ofUsage, b.getUnit());
                            }
                        }
                        if (u.getLimits() != null) {
                            for (Limit l : u.getLimits()) {
                                add(ofUsage, l.getUnit());
                            }
                        }
                        if (u.getTiers() != null) {
                            for (Tier t : u.getTiers()) {
                                if (t.getTieredBlocks() != null) {
                                    for (Block b : t.getTieredBlocks()) {
                                        add(ofUsage, b.getUnit());
                                    }
                                }
                                if (t.getLimits() != null) {
                                    for (Limit l : t.getLimits()) {
                                        add(ofUsage, l.getUnit());
                                    }
                                }
                            }
                        }
                        Period p = period(u.getBillingPeriod());
                        for (String unit : ofUsage) {
                            if (p != null) {
                                periods.putIfAbsent(unit, p);
                            }
                        }
                        units.addAll(ofUsage);
                    }
                }
                java.util.Date forExisting = plan.getEffectiveDateForExistingSubscriptions();
                found.add(new PlanUnits.Version(v.getEffectiveDate().toInstant(), oldestCatalog,
                        forExisting == null ? null : forExisting.toInstant(), afterGap, units, periods));
            }
            return new PlanUnits(planName, found);
        } catch (CatalogApiException e) {
            if (FailureClassifier.isTransient(e)) {
                throw FailureClassifier.unavailable("read the catalog", e, tenantId.toString(), trackingId);
            }
            throw new PermanentFailure(MeterstreamReasonCodes.UNIT_NOT_IN_PLAN, "tenant " + tenantId
                    + " has no readable catalog (" + e.getMessage() + "); upload a catalog with plan " + planName,
                    tenantId.toString(), trackingId, e);
        } catch (RuntimeException e) {
            throw FailureClassifier.classified(e, "reading the catalog", tenantId.toString(), trackingId);
        }
    }

    private static void add(Set<String> units, Unit unit) {
        if (unit != null && unit.getName() != null) {
            units.add(unit.getName());
        }
    }

    /** A Kill Bill billing period as a java.time period; null for none (no late-usage check then). */
    static Period period(BillingPeriod p) {
        if (p == null) {
            return null;
        }
        switch (p.name()) {
            case "DAILY": return Period.ofDays(1);
            case "WEEKLY": return Period.ofWeeks(1);
            case "BIWEEKLY": return Period.ofWeeks(2);
            case "THIRTY_DAYS": return Period.ofDays(30);
            case "SIXTY_DAYS": return Period.ofDays(60);
            case "NINETY_DAYS": return Period.ofDays(90);
            case "MONTHLY": return Period.ofMonths(1);
            case "BIMESTRIAL": return Period.ofMonths(2);
            case "QUARTERLY": return Period.ofMonths(3);
            case "TRIANNUAL": return Period.ofMonths(4);
            case "SEMI_ANNUAL": return Period.ofMonths(6);
            case "ANNUAL": return Period.ofYears(1);
            case "SESQUIENNIAL": return Period.ofMonths(18);
            case "BIENNIAL": return Period.ofYears(2);
            case "TRIENNIAL": return Period.ofYears(3);
            default: return null;
        }
    }
}
