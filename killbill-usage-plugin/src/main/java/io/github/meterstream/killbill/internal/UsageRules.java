package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.HeldFailure;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.usage.UnitUsageRecord;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageRecordEntry;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import io.github.meterstream.killbill.MeterstreamTenantRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The Kill Bill checks a usage message must pass before it is recorded, as named steps in this
 * order, each failure a {@link PermanentFailure} whose reason code names the rule and whose text
 * says what to fix:
 * <ol>
 *   <li>{@link #resolveTenant resolve the tenant}: it exists ({@code UNKNOWN_TENANT}), the source may
 *       carry it ({@code TENANT_NOT_ALLOWED}); its rules are usable (else {@link HeldFailure}
 *       {@value #TENANT_RULES_UNUSABLE}) and allow the source ({@code SOURCE_NOT_ALLOWED});</li>
 *   <li>resolve the subscription in that tenant ({@code UNKNOWN_SUBSCRIPTION});</li>
 *   <li>per record, in message order: {@link #checkWindow the window} (not before the
 *       subscription's start, not after its end, not further ahead of Kill Bill's clock than the
 *       tenant's tolerance: {@code FORWARD_DATED}); {@link #checkUnitInPlan the unit is in the plan}
 *       in the catalog version that applies at the record date ({@code UNIT_NOT_IN_PLAN}); {@link
 *       #checkNotLate not older than Kill Bill still bills} ({@code LATE_USAGE}, unless the tenant's
 *       policy accepts it).</li>
 * </ol>
 * Kill Bill itself checks none of the record-level rules (FACTS: unit types are not validated,
 * records before the start and forward-dated records are stored, late usage is silently never billed).
 * The amount's fit in Kill Bill's {@code decimal(18,9)} is the message contract's rule (broker-core),
 * checked before a message gets here.
 *
 * <p>These run in the handler, after deduplication, not as the pipeline's {@code BusinessValidator}s
 * (which run before it): a redelivered duplicate is acknowledged as one without asking Kill Bill, and
 * a message whose rule verdict changed since it was recorded (a late record, a retired unit) is not
 * dead-lettered on redelivery.
 */
public final class UsageRules {

    private static final Logger LOG = LoggerFactory.getLogger(UsageRules.class);

    /** Reason code of the transient failure of a tenant whose rules cannot be used. */
    public static final String TENANT_RULES_UNUSABLE = "TENANT_RULES_UNUSABLE";

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

    /** One message's resolved tenant, its rules, and what its records are checked against. */
    private static final class Checked {
        final UUID tenantId;
        final String tenant;
        final String trackingId;
        final MeterstreamTenantRules rules;
        ResolvedSubscription subscription;
        /** Kill Bill's clock once the subscription is known: what forward-dated records are measured against. */
        Instant now;
        /** Read from Kill Bill once per message, when a record first needs it; -1 until then. */
        int previousPeriods = -1;

        Checked(UUID tenantId, String trackingId, MeterstreamTenantRules rules) {
            this.tenantId = tenantId;
            this.tenant = tenantId.toString();
            this.trackingId = trackingId;
            this.rules = rules;
        }

        PermanentFailure refuse(String reasonCode, String text) {
            return new PermanentFailure(reasonCode, text, tenant, trackingId, null);
        }
    }

    private final TenantLookup tenants;
    private final SubscriptionLookup subscriptions;
    private final CatalogUnitsLookup catalogUnits;
    private final LateUsageWindow lateUsageWindow;
    private final TenantRulesSource tenantRules;
    private final Clock clock;

    UsageRules(TenantLookup tenants, SubscriptionLookup subscriptions, CatalogUnitsLookup catalogUnits, LateUsageWindow lateUsageWindow,
               TenantRulesSource tenantRules, Clock clock) {
        this.tenants = tenants;
        this.subscriptions = subscriptions;
        this.catalogUnits = catalogUnits;
        this.lateUsageWindow = lateUsageWindow;
        this.tenantRules = tenantRules;
        this.clock = clock;
    }

    /**
     * Checks {@code m} as received on {@code source}, bound to {@code allowedTenants} (ids or api
     * keys; empty: any).
     */
    public Verdict check(UsageMessage m, String source, List<String> allowedTenants) {
        Checked c = resolveTenant(m, source, allowedTenants);
        c.subscription = subscriptions.subscription(c.tenantId, m);
        c.now = clock.instant();
        boolean late = false;
        for (UnitUsageRecord unit : m.unitUsageRecords()) {
            for (UsageRecordEntry record : unit.usageRecords()) {
                Instant at = record.recordDate();
                checkWindow(c, unit.unitType(), at);
                PlanUnits.Version version = checkUnitInPlan(c, unit.unitType(), at);
                late |= checkNotLate(c, version, unit.unitType(), at);
            }
        }
        return new Verdict(c.tenantId, c.subscription, late);
    }

    /** The tenant the message names, if the source may carry it and its rules are usable and allow the source. */
    private Checked resolveTenant(UsageMessage m, String source, List<String> allowedTenants) {
        String trackingId = m.trackingId();
        UUID tenantId = tenants.tenantId(m.tenant(), trackingId);
        String tenant = tenantId.toString();
        if (!allowedTenants.isEmpty() && !containsIgnoreCase(allowedTenants, tenant)
                && (m.apiKey() == null || !allowedTenants.contains(m.apiKey()))) {
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
        return new Checked(tenantId, trackingId, rules);
    }

    /** The record falls within the subscription and is not dated further ahead than the tenant tolerates. */
    private static void checkWindow(Checked c, String unit, Instant at) {
        ResolvedSubscription sub = c.subscription;
        if (sub.start != null && at.isBefore(sub.start)) {
            throw c.refuse(MeterstreamReasonCodes.RECORD_BEFORE_SUBSCRIPTION_START, "record of " + unit + " dated " + at
                    + " is before " + sub + " starts (" + sub.start + "); fix the record date");
        }
        if (sub.end != null && !at.isBefore(sub.end)) {
            throw c.refuse(MeterstreamReasonCodes.RECORD_AFTER_SUBSCRIPTION_END, "record of " + unit + " dated " + at
                    + " is after " + sub + " ended (" + sub.end + "); fix the record date or the subscription");
        }
        if (at.isAfter(c.now.plus(c.rules.forwardDatedTolerance()))) {
            throw c.refuse(MeterstreamReasonCodes.FORWARD_DATED, "record of " + unit + " dated " + at + " is more than "
                    + c.rules.forwardDatedTolerance() + " ahead of Kill Bill's clock (" + c.now
                    + "; tenant setting forward-dated-tolerance); send usage once it happened");
        }
    }

    /**
     * The catalog version Kill Bill bills the record under, which must have the record's unit: the
     * plan in effect at the record date, in the catalog version Kill Bill picks for this
     * subscription at that date.
     */
    private PlanUnits.Version checkUnitInPlan(Checked c, String unit, Instant at) {
        ResolvedSubscription.PlanSpan span = c.subscription.planAt(at);
        PlanUnits plan = span == null ? null : catalogUnits.planUnits(c.tenantId, span.planName, c.trackingId);
        PlanUnits.Version version = plan == null ? null : plan.versionFor(at, span.from);
        if (version == null || !version.units.contains(unit)) {
            throw c.refuse(MeterstreamReasonCodes.UNIT_NOT_IN_PLAN, "unit type '" + unit + "' is not billed at " + at
                    + " by subscription " + c.subscription.id + ": plan " + (span == null ? null : span.planName)
                    + (version == null ? " (in no catalog version)" : " of the " + version + ", the one Kill Bill uses for it then")
                    + " has units " + PlanUnits.unitsOf(version) + "; Kill Bill would store it and never bill it");
        }
        return version;
    }

    /**
     * The record is not older than Kill Bill still bills ({@code readMaxRawUsagePreviousPeriod}
     * periods of the unit before the charged-through date); returns true when it is, and the
     * tenant's policy accepts it anyway.
     */
    private boolean checkNotLate(Checked c, PlanUnits.Version version, String unit, Instant at) {
        ResolvedSubscription sub = c.subscription;
        Period period = version.periodByUnit.get(unit);
        if (sub.chargedThrough == null || period == null) {
            return false;
        }
        if (c.previousPeriods < 0) {
            c.previousPeriods = lateUsageWindow.readMaxPreviousPeriods(c.tenantId);
        }
        LocalDate cutoff = sub.chargedThrough;
        for (int i = 0; i < c.previousPeriods; i++) {
            cutoff = cutoff.minus(period);
        }
        if (!at.atOffset(ZoneOffset.UTC).toLocalDate().isBefore(cutoff)) {
            return false;
        }
        String text = "record of " + unit + " dated " + at + " is older than Kill Bill still bills: " + c.previousPeriods + " "
                + period + " period(s) before the charged-through date " + sub.chargedThrough + " (cut-off " + cutoff
                + ", readMaxRawUsagePreviousPeriod)";
        if (!c.rules.acceptLateUsage()) {
            throw c.refuse(MeterstreamReasonCodes.LATE_USAGE, text + "; it would be stored and never billed. Bill it another way, "
                    + "or set late-usage-policy=accept for the tenant");
        }
        LOG.warn("Late usage accepted by tenant policy (Kill Bill will not bill it): tenant={} trackingId={}: {}",
                c.tenant, c.trackingId, text);
        return true;
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
}
