package io.github.meterstream.killbill.fakes;

import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.joda.time.LocalDate;
import org.killbill.billing.ErrorCode;
import org.killbill.billing.account.api.AccountUserApi;
import org.killbill.billing.catalog.api.CatalogUserApi;
import org.killbill.billing.catalog.api.Plan;
import org.killbill.billing.currency.api.CurrencyConversionApi;
import org.killbill.billing.entitlement.api.EntitlementApi;
import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApi;
import org.killbill.billing.entitlement.api.SubscriptionApiException;
import org.killbill.billing.entitlement.api.SubscriptionEvent;
import org.killbill.billing.entitlement.api.SubscriptionEventType;
import org.killbill.billing.invoice.api.InvoiceUserApi;
import org.killbill.billing.osgi.api.OSGIKillbill;
import org.killbill.billing.osgi.api.PluginsInfoApi;
import org.killbill.billing.osgi.api.config.PluginConfigServiceApi;
import org.killbill.billing.overdue.api.OverdueApi;
import org.killbill.billing.payment.api.AdminPaymentApi;
import org.killbill.billing.payment.api.InvoicePaymentApi;
import org.killbill.billing.payment.api.PaymentApi;
import org.killbill.billing.security.api.SecurityApi;
import org.killbill.billing.tenant.api.Tenant;
import org.killbill.billing.tenant.api.TenantApiException;
import org.killbill.billing.tenant.api.TenantUserApi;
import org.killbill.billing.usage.api.UsageUserApi;
import org.killbill.billing.util.api.AuditUserApi;
import org.killbill.billing.util.api.CustomFieldUserApi;
import org.killbill.billing.util.api.ExportUserApi;
import org.killbill.billing.util.api.RecordIdApi;
import org.killbill.billing.util.api.TagUserApi;
import org.killbill.billing.util.callcontext.TenantContext;
import org.killbill.billing.util.nodes.KillbillNodesApi;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kill Bill's Java APIs as FACTS.md describes them, in memory: tenants (by id, by api key),
 * subscriptions scoped by tenant, a versioned catalog per tenant, per-tenant key/values
 * ({@code PLUGIN_CONFIG_meterstream}, {@code PER_TENANT_CONFIG}) and {@link FakeUsageUserApi}.
 */
public final class FakeKillbill implements OSGIKillbill {

    /** A subscription whose dates and charged-through date tests may change. */
    public static final class Sub {
        public final UUID id = UUID.randomUUID();
        public final UUID tenantId;
        public final String externalKey;
        public volatile String planName;
        public volatile Instant start;
        public volatile Instant end;
        public volatile java.time.LocalDate chargedThrough;
        /** Plan changes after creation: effective date and new plan, as Kill Bill lists them (CHANGE events). */
        private final List<Object[]> changes = new CopyOnWriteArrayList<>();
        private final String initialPlan;

        Sub(UUID tenantId, String externalKey, String planName, Instant start) {
            this.tenantId = tenantId;
            this.externalKey = externalKey;
            this.planName = planName;
            this.initialPlan = planName;
            this.start = start;
        }

        /** Changes the plan effective {@code at}: a CHANGE event, and the last active plan. */
        public Sub changePlan(Instant at, String newPlan) {
            changes.add(new Object[] {at, newPlan});
            planName = newPlan;
            return this;
        }

        /** START_ENTITLEMENT and START_BILLING at the start, then one CHANGE per plan change. */
        private List<SubscriptionEvent> events() {
            List<SubscriptionEvent> out = new ArrayList<>();
            out.add(event(SubscriptionEventType.START_ENTITLEMENT, start, initialPlan));
            out.add(event(SubscriptionEventType.START_BILLING, start, initialPlan));
            for (Object[] c : changes) {
                out.add(event(SubscriptionEventType.CHANGE, (Instant) c[0], (String) c[1]));
            }
            return out;
        }

        private static SubscriptionEvent event(SubscriptionEventType type, Instant at, String plan) {
            return Fake.of(SubscriptionEvent.class, "getSubscriptionEventType", type, "getEffectiveDate", dt(at),
                    "getNextPlan", Fake.of(Plan.class, "getName", plan));
        }

        Subscription asSubscription() {
            return Fake.of(Subscription.class,
                    "getId", id,
                    "getExternalKey", externalKey,
                    "getLastActivePlan", (Fake.Answer) a -> Fake.of(Plan.class, "getName", planName),
                    "getSubscriptionEvents", (Fake.Answer) a -> events(),
                    "getBillingStartDate", (Fake.Answer) a -> dt(start),
                    "getEffectiveStartDate", (Fake.Answer) a -> dt(start),
                    "getEffectiveEndDate", (Fake.Answer) a -> dt(end),
                    "getBillingEndDate", (Fake.Answer) a -> dt(end),
                    "getChargedThroughDate", (Fake.Answer) a -> chargedThrough == null ? null
                            : new LocalDate(chargedThrough.getYear(), chargedThrough.getMonthValue(), chargedThrough.getDayOfMonth()));
        }

        private static DateTime dt(Instant i) {
            return i == null ? null : new DateTime(i.toEpochMilli(), DateTimeZone.UTC);
        }
    }

    private final Map<UUID, String> apiKeyByTenant = new ConcurrentHashMap<>();
    private final List<Sub> subscriptions = new CopyOnWriteArrayList<>();
    private final Map<UUID, FakeCatalog> catalogs = new ConcurrentHashMap<>();
    private final Map<String, String> tenantValues = new ConcurrentHashMap<>();
    public final FakeUsageUserApi usage = new FakeUsageUserApi(this);
    public final AtomicInteger logins = new AtomicInteger();
    public final AtomicInteger subscriptionLookups = new AtomicInteger();
    /** Failures the next {@code getTenantValuesForKey} calls throw, one per call (a database that is down). */
    public final java.util.Queue<java.util.function.Supplier<Exception>> tenantValuesFailNext =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    public UUID tenant(String apiKey) {
        UUID id = UUID.randomUUID();
        apiKeyByTenant.put(id, apiKey);
        return id;
    }

    public Sub subscription(UUID tenantId, String externalKey, String planName, Instant start) {
        Sub s = new Sub(tenantId, externalKey, planName, start);
        subscriptions.add(s);
        return s;
    }

    public void catalog(UUID tenantId, FakeCatalog catalog) {
        catalogs.put(tenantId, catalog);
    }

    /** What {@code uploadPluginConfig} / {@code uploadPerTenantConfig} store, under Kill Bill's key. */
    public void tenantValue(UUID tenantId, String key, String value) {
        if (value == null) {
            tenantValues.remove(tenantId + "/" + key);
        } else {
            tenantValues.put(tenantId + "/" + key, value);
        }
    }

    Sub find(UUID tenantId, UUID subscriptionId) {
        for (Sub s : subscriptions) {
            if (s.id.equals(subscriptionId) && s.tenantId.equals(tenantId)) {
                return s;
            }
        }
        return null;
    }

    @Override
    public TenantUserApi getTenantUserApi() {
        return Fake.of(TenantUserApi.class,
                "getTenantById", (Fake.Answer) a -> {
                    UUID id = (UUID) a[0];
                    if (!apiKeyByTenant.containsKey(id)) {
                        throw new TenantApiException(ErrorCode.TENANT_DOES_NOT_EXIST_FOR_ID, id);
                    }
                    return Fake.of(Tenant.class, "getId", id, "getApiKey", apiKeyByTenant.get(id));
                },
                "getTenantByApiKey", (Fake.Answer) a -> {
                    for (Map.Entry<UUID, String> e : apiKeyByTenant.entrySet()) {
                        if (e.getValue().equals(a[0])) {
                            return Fake.of(Tenant.class, "getId", e.getKey(), "getApiKey", e.getValue());
                        }
                    }
                    throw new TenantApiException(ErrorCode.TENANT_DOES_NOT_EXIST_FOR_API_KEY, a[0]);
                },
                "getTenantValuesForKey", (Fake.Answer) a -> {
                    java.util.function.Supplier<Exception> failure = tenantValuesFailNext.poll();
                    if (failure != null) {
                        throw failure.get();
                    }
                    String v = tenantValues.get(((TenantContext) a[1]).getTenantId() + "/" + a[0]);
                    return v == null ? List.of() : List.of(v);
                });
    }

    @Override
    public SubscriptionApi getSubscriptionApi() {
        return Fake.of(SubscriptionApi.class,
                "getSubscriptionForEntitlementId", (Fake.Answer) a -> {
                    subscriptionLookups.incrementAndGet();
                    TenantContext c = (TenantContext) a[a.length - 1];
                    Sub s = find(c.getTenantId(), (UUID) a[0]);
                    if (s == null) {
                        throw new SubscriptionApiException(ErrorCode.SUB_INVALID_SUBSCRIPTION_ID, a[0]);
                    }
                    return s.asSubscription();
                },
                "getSubscriptionForExternalKey", (Fake.Answer) a -> {
                    subscriptionLookups.incrementAndGet();
                    TenantContext c = (TenantContext) a[a.length - 1];
                    for (Sub s : subscriptions) {
                        if (s.externalKey.equals(a[0]) && s.tenantId.equals(c.getTenantId())) {
                            return s.asSubscription();
                        }
                    }
                    throw new SubscriptionApiException(ErrorCode.SUB_INVALID_SUBSCRIPTION_EXTERNAL_KEY, a[0]);
                });
    }

    @Override
    public CatalogUserApi getCatalogUserApi() {
        return Fake.of(CatalogUserApi.class, "getCatalog", (Fake.Answer) a -> {
            FakeCatalog c = catalogs.get(((TenantContext) a[1]).getTenantId());
            if (c == null) {
                throw new org.killbill.billing.catalog.api.CatalogApiException(ErrorCode.CAT_NO_SUCH_PLAN, "no catalog");
            }
            return c.build();
        });
    }

    @Override
    public UsageUserApi getUsageUserApi() {
        return usage;
    }

    @Override
    public SecurityApi getSecurityApi() {
        return Fake.of(SecurityApi.class, "login", (Fake.Answer) a -> {
            logins.incrementAndGet();
            return null;
        });
    }

    public List<Sub> subscriptions() {
        return new ArrayList<>(subscriptions);
    }

    // ---- not used by the plugin -----------------------------------------------------------------

    @Override
    public AccountUserApi getAccountUserApi() {
        return null;
    }

    @Override
    public InvoicePaymentApi getInvoicePaymentApi() {
        return null;
    }

    @Override
    public InvoiceUserApi getInvoiceUserApi() {
        return null;
    }

    @Override
    public PaymentApi getPaymentApi() {
        return null;
    }

    @Override
    public AuditUserApi getAuditUserApi() {
        return null;
    }

    @Override
    public CustomFieldUserApi getCustomFieldUserApi() {
        return null;
    }

    @Override
    public ExportUserApi getExportUserApi() {
        return null;
    }

    @Override
    public TagUserApi getTagUserApi() {
        return null;
    }

    @Override
    public EntitlementApi getEntitlementApi() {
        return null;
    }

    @Override
    public RecordIdApi getRecordIdApi() {
        return null;
    }

    @Override
    public CurrencyConversionApi getCurrencyConversionApi() {
        return null;
    }

    @Override
    public OverdueApi getOverdueApi() {
        return null;
    }

    @Override
    public PluginConfigServiceApi getPluginConfigServiceApi() {
        return null;
    }

    @Override
    public PluginsInfoApi getPluginsInfoApi() {
        return null;
    }

    @Override
    public KillbillNodesApi getKillbillNodesApi() {
        return null;
    }

    @Override
    public AdminPaymentApi getAdminPaymentApi() {
        return null;
    }
}
