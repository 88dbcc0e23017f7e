package io.github.meterstream.killbill.fakes;

import org.killbill.billing.ErrorCode;
import org.killbill.billing.catalog.api.BillingPeriod;
import org.killbill.billing.catalog.api.Block;
import org.killbill.billing.catalog.api.CatalogApiException;
import org.killbill.billing.catalog.api.Limit;
import org.killbill.billing.catalog.api.Plan;
import org.killbill.billing.catalog.api.PlanPhase;
import org.killbill.billing.catalog.api.StaticCatalog;
import org.killbill.billing.catalog.api.Tier;
import org.killbill.billing.catalog.api.TieredBlock;
import org.killbill.billing.catalog.api.Unit;
import org.killbill.billing.catalog.api.Usage;
import org.killbill.billing.catalog.api.VersionedCatalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A tenant's versioned catalog, built with plans whose phases use given units. */
public final class FakeCatalog {

    private final List<StaticCatalog> versions = new ArrayList<>();

    /** Adds a catalog version effective at {@code effective} with {@code plans}. */
    public FakeCatalog version(Instant effective, Plan... plans) {
        Map<String, Plan> byName = new LinkedHashMap<>();
        for (Plan p : plans) {
            byName.put(p.getName(), p);
        }
        versions.add(Fake.of(StaticCatalog.class,
                "getEffectiveDate", Date.from(effective),
                "getPlans", new ArrayList<>(byName.values()),
                "findPlan", (Fake.Answer) args -> {
                    Plan p = byName.get((String) args[0]);
                    if (p == null) {
                        throw new CatalogApiException(ErrorCode.CAT_NO_SUCH_PLAN, args[0]);
                    }
                    return p;
                }));
        return this;
    }

    public VersionedCatalog build() {
        return Fake.of(VersionedCatalog.class, "getVersions", new ArrayList<>(versions),
                "getCurrentVersion", versions.get(versions.size() - 1));
    }

    public static Plan plan(String name, PlanPhase... phases) {
        return Fake.of(Plan.class, "getName", name, "getAllPhases", phases);
    }

    /**
     * A plan whose catalog version applies to subscriptions created before it from {@code
     * effectiveForExisting} on (Kill Bill's {@code effectiveDateForExistingSubscriptions}).
     */
    public static Plan plan(String name, Instant effectiveForExisting, PlanPhase... phases) {
        return Fake.of(Plan.class, "getName", name, "getAllPhases", phases,
                "getEffectiveDateForExistingSubscriptions", Date.from(effectiveForExisting));
    }

    public static PlanPhase phase(Usage... usages) {
        return Fake.of(PlanPhase.class, "getUsages", usages);
    }

    public static Unit unit(String name) {
        return Fake.of(Unit.class, "getName", name);
    }

    /** A usage section billed monthly with one block per unit. */
    public static Usage blocks(String... units) {
        Block[] blocks = new Block[units.length];
        for (int i = 0; i < units.length; i++) {
            blocks[i] = Fake.of(Block.class, "getUnit", unit(units[i]));
        }
        return Fake.of(Usage.class, "getBlocks", blocks, "getBillingPeriod", BillingPeriod.MONTHLY);
    }

    /** A usage section with one tier: a tiered block of {@code blockUnit} and a tier limit on {@code tierLimitUnit}. */
    public static Usage tier(String blockUnit, String tierLimitUnit) {
        TieredBlock tb = Fake.of(TieredBlock.class, "getUnit", unit(blockUnit));
        Limit l = Fake.of(Limit.class, "getUnit", unit(tierLimitUnit));
        Tier t = Fake.of(Tier.class, "getTieredBlocks", new TieredBlock[] {tb}, "getLimits", new Limit[] {l});
        return Fake.of(Usage.class, "getTiers", new Tier[] {t}, "getBillingPeriod", BillingPeriod.MONTHLY);
    }

    /** A usage section with only a limit on {@code unit}. */
    public static Usage limit(String unit) {
        Limit l = Fake.of(Limit.class, "getUnit", unit(unit));
        return Fake.of(Usage.class, "getLimits", new Limit[] {l}, "getBillingPeriod", BillingPeriod.MONTHLY);
    }
}
