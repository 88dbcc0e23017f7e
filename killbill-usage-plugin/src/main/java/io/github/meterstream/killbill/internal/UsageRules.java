package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import io.github.meterstream.killbill.MeterstreamTenantRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The checks a usage message must pass before it is recorded, in this order, each failure a
 * {@link PermanentFailure} whose reason code names the rule and whose text says what to fix:
 * <ol>
 *   <li>tenant exists ({@code UNKNOWN_TENANT}); the source may carry it ({@code TENANT_NOT_ALLOWED},
 *       {@code SOURCE_NOT_ALLOWED});</li>
 *   <li>subscription exists in that tenant ({@code UNKNOWN_SUBSCRIPTION});</li>
 *   <li>per record: amount fits {@code decimal(18,9)} ({@code INVALID_AMOUNT}); not before the
 *       subscription's start, not after its end; not further ahead of Kill Bill's clock than the
 *       tenant's tolerance ({@code FORWARD_DATED}); the unit is used by the plan in the catalog
 *       versions that apply at the record date ({@code UNIT_NOT_IN_PLAN}); not older than Kill Bill
 *       still bills ({@code LATE_USAGE}, unless the tenant's policy accepts it).</li>
 * </ol>
 * Kill Bill itself checks none of the record-level rules (FACTS: unit types are not validated,
 * records before the start and forward-dated records are stored, late usage is silently never billed).
 */
public final class UsageRules {

    private static final Logger LOG = LoggerFactory.getLogger(UsageRules.class);
    private static final int MAX_INTEGER_DIGITS = 9;
    private static final int MAX_SCALE = 9;

    /** What the checks found, for the recorder. */
    public static final class Verdict {
        final UUID tenantId;
        final ResolvedSubscription subscription;
        final boolean late;

        Verdict(UUID tenantId, ResolvedSubscription subscription, boolean late) {
            this.tenantId = tenantId;
            this.subscription = subscription;
            this.late = late;
        }

        public UUID tenantId() {
            return tenantId;
        }

        /** True when some record is late usage that the tenant's policy accepted. */
        public boolean late() {
            return late;
        }
    }

    /** Reason code of the transient failure of a tenant whose rules cannot be used. */
    public static final String TENANT_RULES_UNUSABLE = "TENANT_RULES_UNUSABLE";

    private final KillbillLookups lookups;
    private final TenantRulesSource tenantRules;
    private final Clock clock;

    public UsageRules(KillbillLookups lookups, TenantRulesSource tenantRules, Clock clock) {
        this.lookups = lookups;
        this.tenantRules = tenantRules;
        this.clock = clock;
    }

    /**
     * Checks {@code r} as received on {@code source}, bound to {@code allowedTenants} (ids or api
     * keys; empty: any).
     */
    public Verdict check(UsageRequest r, String source, List<String> allowedTenants) {
        String trackingId = r.trackingId();
        UUID tenantId = lookups.tenantId(r);
        String tenant = tenantId.toString();
        if (!allowedTenants.isEmpty() && !containsIgnoreCase(allowedTenants, tenant)
                && (r.apiKey() == null || !allowedTenants.contains(r.apiKey()))) {
            throw new PermanentFailure(MeterstreamReasonCodes.TENANT_NOT_ALLOWED, "source " + source + " may only carry usage of its "
                    + allowedTenants.size() + " configured tenant(s) (sources." + source + ".tenants), not of tenant " + tenant
                    + "; publish it to the source bound to that tenant", tenant, trackingId, null);
        }
        MeterstreamTenantRules rules = tenantRules.rulesFor(tenantId);
        if (rules.holdReason() != null) {
            // Transient on purpose: the usage waits in the broker until the tenant's configuration is
            // fixed, instead of being recorded under rules the tenant did not choose or dead-lettered.
            throw new HeldFailure(TENANT_RULES_UNUSABLE, "usage of tenant " + tenant + " is held: " + rules.holdReason(),
                    tenant, trackingId, null);
        }
        if (!rules.allowsSource(source)) {
            throw new PermanentFailure(MeterstreamReasonCodes.SOURCE_NOT_ALLOWED, "tenant " + tenant + " accepts usage only from sources "
                    + rules.sources() + " (its plugin configuration 'sources'), not from " + source, tenant, trackingId, null);
        }
        ResolvedSubscription sub = lookups.subscription(tenantId, r);
        Instant now = clock.instant();
        Instant latestAllowed = now.plus(rules.forwardDatedTolerance());
        int previousPeriods = -1;
        boolean late = false;
        for (UsageRequest.Unit unit : r.units()) {
            for (UsageRequest.Amount a : unit.records()) {
                Instant at = a.recordDate();
                checkAmount(a.amount(), unit.unitType(), at, tenant, trackingId);
                if (sub.start != null && at.isBefore(sub.start)) {
                    throw new PermanentFailure(MeterstreamReasonCodes.RECORD_BEFORE_SUBSCRIPTION_START, "record of " + unit.unitType()
                            + " dated " + at + " is before " + sub + " starts (" + sub.start + "); fix the record date",
                            tenant, trackingId, null);
                }
                if (sub.end != null && !at.isBefore(sub.end)) {
                    throw new PermanentFailure(MeterstreamReasonCodes.RECORD_AFTER_SUBSCRIPTION_END, "record of " + unit.unitType()
                            + " dated " + at + " is after " + sub + " ended (" + sub.end + "); fix the record date or the subscription",
                            tenant, trackingId, null);
                }
                if (at.isAfter(latestAllowed)) {
                    throw new PermanentFailure(MeterstreamReasonCodes.FORWARD_DATED, "record of " + unit.unitType() + " dated " + at
                            + " is more than " + rules.forwardDatedTolerance() + " ahead of Kill Bill's clock (" + now
                            + "; tenant setting forward-dated-tolerance); send usage once it happened", tenant, trackingId, null);
                }
                // Kill Bill bills the record under the plan in effect at its date, in the catalog version
                // it picks for this subscription at that date: the check asks exactly that version.
                ResolvedSubscription.PlanSpan span = sub.planAt(at);
                PlanUnits plan = span == null ? null : lookups.planUnits(tenantId, span.planName, trackingId);
                PlanUnits.Version version = plan == null ? null : plan.versionFor(at, span.from);
                if (version == null || !version.units.contains(unit.unitType())) {
                    throw new PermanentFailure(MeterstreamReasonCodes.UNIT_NOT_IN_PLAN, "unit type '" + unit.unitType()
                            + "' is not billed at " + at + " by subscription " + sub.id + ": plan " + (span == null ? null : span.planName)
                            + (version == null ? " (in no catalog version)" : " of the " + version + ", the one Kill Bill uses for it then")
                            + " has units " + PlanUnits.unitsOf(version) + "; Kill Bill would store it and never bill it",
                            tenant, trackingId, null);
                }
                if (sub.chargedThrough != null) {
                    Period period = version.periodByUnit.get(unit.unitType());
                    if (period != null) {
                        if (previousPeriods < 0) {
                            previousPeriods = lookups.readMaxPreviousPeriods(tenantId);
                        }
                        LocalDate cutoff = sub.chargedThrough;
                        for (int i = 0; i < previousPeriods; i++) {
                            cutoff = cutoff.minus(period);
                        }
                        if (at.atOffset(ZoneOffset.UTC).toLocalDate().isBefore(cutoff)) {
                            String text = "record of " + unit.unitType() + " dated " + at + " is older than Kill Bill still bills: "
                                    + previousPeriods + " " + period + " period(s) before the charged-through date " + sub.chargedThrough
                                    + " (cut-off " + cutoff + ", readMaxRawUsagePreviousPeriod)";
                            if (!rules.acceptLateUsage()) {
                                throw new PermanentFailure(MeterstreamReasonCodes.LATE_USAGE, text + "; it would be stored and never "
                                        + "billed. Bill it another way, or set late-usage-policy=accept for the tenant", tenant, trackingId, null);
                            }
                            LOG.warn("Late usage accepted by tenant policy (Kill Bill will not bill it): tenant={} trackingId={}: {}",
                                    tenant, trackingId, text);
                            late = true;
                        }
                    }
                }
            }
        }
        return new Verdict(tenantId, sub, late);
    }

    /** Tenants whose usage is held because their rules cannot be used, with the reason. */
    Map<UUID, String> heldTenants() {
        return tenantRules.problems();
    }

    static boolean containsIgnoreCase(List<String> values, String value) {
        for (String v : values) {
            if (v.equalsIgnoreCase(value)) {
                return true;
            }
        }
        return false;
    }

    private static void checkAmount(BigDecimal amount, String unit, Instant at, String tenant, String trackingId) {
        if (amount == null) {
            throw new PermanentFailure(MeterstreamReasonCodes.INVALID_AMOUNT, "record of " + unit + " dated " + at + " has no amount",
                    tenant, trackingId, null);
        }
        BigDecimal a = amount.stripTrailingZeros();
        int scale = Math.max(0, a.scale());
        int integerDigits = Math.max(0, a.precision() - a.scale());
        if (a.signum() < 0 || scale > MAX_SCALE || integerDigits > MAX_INTEGER_DIGITS) {
            throw new PermanentFailure(MeterstreamReasonCodes.INVALID_AMOUNT, "amount " + amount.toPlainString() + " of " + unit
                    + " dated " + at + " does not fit Kill Bill's decimal(18,9) (not negative, at most 9 digits before and 9 after "
                    + "the point)", tenant, trackingId, null);
        }
    }
}
