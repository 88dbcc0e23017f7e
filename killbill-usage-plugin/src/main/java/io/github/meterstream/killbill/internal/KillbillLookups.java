package io.github.meterstream.killbill.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import io.github.meterstream.killbill.line.KillbillLine;
import org.killbill.billing.ErrorCode;
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
import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApiException;
import org.killbill.billing.entitlement.api.SubscriptionEvent;
import org.killbill.billing.entitlement.api.SubscriptionEventType;
import org.killbill.billing.osgi.api.OSGIKillbill;
import org.killbill.billing.tenant.api.Tenant;
import org.killbill.billing.tenant.api.TenantApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The Kill Bill reads behind the usage rules: tenant by id or api key, subscription by id or
 * external key within that tenant, the units of a plan across catalog versions, and the tenant's
 * {@code readMaxRawUsagePreviousPeriod}. Each is cached (bounded, with a TTL). A Kill Bill that
 * does not answer (database down) gives a {@link TransientFailure}; a name that does not exist a
 * {@link PermanentFailure}.
 */
public final class KillbillLookups {

    private static final Logger LOG = LoggerFactory.getLogger(KillbillLookups.class);
    static final String PER_TENANT_CONFIG = "PER_TENANT_CONFIG";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OSGIKillbill killbill;
    private final KillbillLine line;
    private final Clock clock;
    private final MeterstreamConfigProperties config;
    private final BoundedCache<String, UUID> tenants;
    private final Map<String, UUID> tenantIdByApiKey = new java.util.concurrent.ConcurrentHashMap<>();
    private final BoundedCache<String, ResolvedSubscription> subscriptions;
    private final BoundedCache<String, PlanUnits> plans;
    private final BoundedCache<UUID, Integer> readMaxPeriods;

    public KillbillLookups(OSGIKillbill killbill, KillbillLine line, Clock clock, MeterstreamConfigProperties config) {
        this.killbill = killbill;
        this.line = line;
        this.clock = clock;
        this.config = config;
        // tenants do not change id or api key: no expiry beyond the LRU bound
        this.tenants = new BoundedCache<>(config.cacheTenants(), Duration.ofDays(3650), clock);
        this.subscriptions = new BoundedCache<>(config.cacheSubscriptions(), config.cacheSubscriptionsTtl(), clock);
        this.plans = new BoundedCache<>(config.cacheTenants() * 20, config.cacheCatalogTtl(), clock);
        this.readMaxPeriods = new BoundedCache<>(config.cacheTenants(), config.cacheCatalogTtl(), clock);
    }

    public KillbillLine line() {
        return line;
    }

    /** The tenant the message names. */
    UUID tenantId(UsageRequest r) {
        String ref = r.tenantRef();
        if (ref == null) {
            throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "the message names no tenant (tenantId or apiKey)",
                    null, r.trackingId(), null);
        }
        boolean byId = r.tenantId() != null;
        return tenants.get((byId ? "id:" : "key:") + ref, k -> loadTenant(byId, ref, r.trackingId()));
    }

    /**
     * The tenant id of {@code apiKey}, looked up in Kill Bill once and cached; the usage contract's
     * api-key resolver (deduplication under the tenant id).
     */
    public String tenantIdOfApiKey(String apiKey) {
        return tenants.get("key:" + apiKey, k -> loadTenant(false, apiKey, null)).toString();
    }

    /** The tenant id of {@code apiKey} if it was looked up already, else null; never calls Kill Bill. */
    public String cachedTenantIdForApiKey(String apiKey) {
        UUID id = apiKey == null ? null : tenantIdByApiKey.get(apiKey);
        return id == null ? null : id.toString();
    }

    /** {@code tenantId} (lower case) if Kill Bill resolved it already, else null; never calls Kill Bill. */
    public String cachedTenantId(String tenantId) {
        UUID id = tenantId == null ? null : tenants.peek("id:" + tenantId);
        return id == null ? null : id.toString();
    }

    private UUID loadTenant(boolean byId, String ref, String trackingId) {
        try {
            Tenant t;
            if (byId) {
                UUID id;
                try {
                    id = UUID.fromString(ref);
                } catch (IllegalArgumentException e) {
                    throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "tenantId '" + ref + "' is not a UUID",
                            ref, trackingId, null);
                }
                t = killbill.getTenantUserApi().getTenantById(id);
            } else {
                t = killbill.getTenantUserApi().getTenantByApiKey(ref);
            }
            if (t == null) {
                throw unknownTenant(byId, ref, trackingId, null);
            }
            if (!byId) {
                tenantIdByApiKey.put(ref, t.getId());
            }
            return t.getId();
        } catch (TenantApiException e) {
            if (FailureClassifier.isTransient(e)) {
                throw new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill could not look up tenant: " + FailureClassifier.describe(e),
                        ref, trackingId, e);
            }
            throw unknownTenant(byId, ref, trackingId, e);
        } catch (RuntimeException e) {
            throw rethrowClassified(e, "looking up tenant " + ref, ref, trackingId);
        }
    }

    private static PermanentFailure unknownTenant(boolean byId, String ref, String trackingId, Throwable cause) {
        return new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "no Kill Bill tenant has " + (byId ? "id " + ref
                : "the api key in the message") + "; check the message's " + (byId ? "tenantId" : "apiKey"),
                byId ? ref : null, trackingId, cause);
    }

    /** The subscription the message names, looked up within {@code tenantId}. */
    ResolvedSubscription subscription(UUID tenantId, UsageRequest r) {
        boolean byId = r.subscriptionId() != null;
        String ref = r.subscriptionRef();
        if (ref == null) {
            throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_SUBSCRIPTION,
                    "the message names no subscription (subscriptionId or subscriptionExternalKey)", tenantId.toString(), r.trackingId(), null);
        }
        return subscriptions.get(tenantId + (byId ? "/id:" : "/key:") + ref, k -> loadSubscription(tenantId, byId, ref, r.trackingId()));
    }

    /**
     * The id of the subscription with {@code externalKey} in tenant {@code tenantId}, looked up once
     * and cached; the usage contract's subscription resolver (deduplication under the id).
     */
    public String subscriptionIdOfExternalKey(String tenantId, String externalKey) {
        UUID tenant;
        try {
            tenant = UUID.fromString(tenantId);
        } catch (IllegalArgumentException e) {
            throw new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_TENANT, "tenantId '" + tenantId + "' is not a UUID",
                    tenantId, null, null);
        }
        // the tenant first, so that an unknown tenant is reported as such, not as an unknown subscription
        UUID known = tenants.get("id:" + tenantId, k -> loadTenant(true, tenantId, null));
        return subscriptions.get(known + "/key:" + externalKey, k -> loadSubscription(tenant, false, externalKey, null)).id.toString();
    }

    /** The id of {@code externalKey}'s subscription if it was looked up already, else null; never calls Kill Bill. */
    public String cachedSubscriptionIdOfExternalKey(String tenantId, String externalKey) {
        ResolvedSubscription s = subscriptions.peek(tenantId + "/key:" + externalKey);
        return s == null ? null : s.id.toString();
    }

    private ResolvedSubscription loadSubscription(UUID tenantId, boolean byId, String ref, String trackingId) {
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
                throw new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill could not look up subscription: " + FailureClassifier.describe(e),
                        tenantId.toString(), trackingId, e);
            }
            throw unknownSubscription(tenantId, byId, ref, trackingId, e);
        } catch (RuntimeException e) {
            if (isNotFound(e)) {
                throw unknownSubscription(tenantId, byId, ref, trackingId, e);
            }
            throw rethrowClassified(e, "looking up subscription " + ref, tenantId.toString(), trackingId);
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

    static boolean isNotFound(Throwable e) {
        return e.getClass().getName().contains("ObjectDoesNotExist") || e instanceof IllegalStateException
                && !FailureClassifier.isTransient(e);
    }

    static PermanentFailure unknownSubscription(UUID tenantId, boolean byId, String ref, String trackingId, Throwable cause) {
        return new PermanentFailure(MeterstreamReasonCodes.UNKNOWN_SUBSCRIPTION, "tenant " + tenantId + " has no subscription with "
                + (byId ? "id " : "external key ") + ref + "; check the message's " + (byId ? "subscriptionId" : "subscriptionExternalKey")
                + " and tenant", tenantId.toString(), trackingId, cause);
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
                throw new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill could not read the catalog: " + FailureClassifier.describe(e),
                        tenantId.toString(), trackingId, e);
            }
            throw new PermanentFailure(MeterstreamReasonCodes.UNIT_NOT_IN_PLAN, "tenant " + tenantId
                    + " has no readable catalog (" + e.getMessage() + "); upload a catalog with plan " + planName,
                    tenantId.toString(), trackingId, e);
        } catch (RuntimeException e) {
            throw rethrowClassified(e, "reading the catalog", tenantId.toString(), trackingId);
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

    /**
     * How many past billing periods Kill Bill still bills late usage for, for {@code tenantId}:
     * the plugin's {@code late-usage.max-previous-periods} if set, else the tenant's own Kill Bill
     * setting ({@code uploadPerTenantConfig}), else Kill Bill's global setting, else 2.
     */
    int readMaxPreviousPeriods(UUID tenantId) {
        if (config.lateUsageMaxPreviousPeriods() >= 0) {
            return config.lateUsageMaxPreviousPeriods();
        }
        return readMaxPeriods.get(tenantId, this::loadReadMax);
    }

    private int loadReadMax(UUID tenantId) {
        int global = config.killbillReadMaxRawUsagePreviousPeriod() == null ? 2 : config.killbillReadMaxRawUsagePreviousPeriod();
        List<String> values;
        try {
            values = killbill.getTenantUserApi().getTenantValuesForKey(PER_TENANT_CONFIG,
                    new MeterstreamCallContext(tenantId, clock.instant(), null));
        } catch (TenantApiException | RuntimeException e) {
            // Nothing is cached from a failed read: a fallback remembered for the cache TTL would give
            // wrong LATE_USAGE verdicts after a database blip. The message waits and is retried.
            if (e instanceof RuntimeException && !FailureClassifier.isTransient(e)) {
                // not a database or connection problem: left unclassified for the pipeline's bounded retries
                throw rethrowClassified((RuntimeException) e, "reading the per-tenant configuration", tenantId.toString(), null);
            }
            throw new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill could not read tenant " + tenantId + "'s "
                    + MeterstreamConfigProperties.KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD + " (per-tenant configuration): "
                    + FailureClassifier.describe(e), tenantId.toString(), null, e);
        }
        if (values == null || values.isEmpty()) {
            return global;
        }
        try {
            JsonNode node = JSON.readTree(values.get(0)).get(MeterstreamConfigProperties.KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD);
            return node == null ? global : Integer.parseInt(node.asText().trim());
        } catch (java.io.IOException | NumberFormatException e) {
            // Kill Bill itself validated the per-tenant config when it was uploaded; an unreadable value
            // is not something a retry fixes, so the global value applies (as Kill Bill would do).
            LOG.warn("Tenant {}'s per-tenant configuration has no readable {} ({}); using {}", tenantId,
                    MeterstreamConfigProperties.KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD, e.toString(), global);
            return global;
        }
    }

    /** Drops every cached answer (after a catalog upload, for instance). */
    public void invalidate() {
        subscriptions.invalidateAll();
        plans.invalidateAll();
        readMaxPeriods.invalidateAll();
    }

    static RuntimeException rethrowClassified(RuntimeException e, String what, String tenant, String trackingId) {
        if (e instanceof PermanentFailure || e instanceof TransientFailure) {
            return e;
        }
        if (FailureClassifier.isTransient(e)) {
            return new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill unavailable while " + what + ": " + FailureClassifier.describe(e),
                    tenant, trackingId, e);
        }
        return e;
    }

    static boolean isDuplicateTrackingId(org.killbill.billing.BillingExceptionBase e) {
        return e.getCode() == ErrorCode.USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS.getCode();
    }

    @Override
    public String toString() {
        return "KillbillLookups{" + line.describe() + ", clock " + Objects.toString(clock) + '}';
    }
}
