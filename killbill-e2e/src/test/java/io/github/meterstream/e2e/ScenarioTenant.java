package io.github.meterstream.e2e;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

/** A fresh tenant with the test catalog, one account and one subscription to plan {@value UsageCatalog#PLAN}. */
public final class ScenarioTenant {
    public final UUID tenantId;
    public final KillbillClient client;
    public final UUID accountId;
    public final UUID subscriptionId;
    private final String apiKey;
    private final String apiSecret;

    private ScenarioTenant(UUID tenantId, String apiKey, String apiSecret, KillbillClient client, UUID accountId,
            UUID subscriptionId) {
        this.tenantId = tenantId;
        this.apiKey = apiKey;
        this.apiSecret = apiSecret;
        this.client = client;
        this.accountId = accountId;
        this.subscriptionId = subscriptionId;
    }

    public static ScenarioTenant create(KillbillClient admin, String label) {
        String suffix = label + "-" + Long.toHexString(System.nanoTime());
        UUID tenantId = admin.createTenant("key-" + suffix, "secret-" + suffix, "tenant-" + suffix);
        KillbillClient client = admin.forTenant("key-" + suffix, "secret-" + suffix);
        client.uploadCatalog(UsageCatalog.xml());
        UUID account = client.createAccount("acct-" + suffix, "USD", 1);
        UUID subscription = client.createSubscription(account, "sub-" + suffix, UsageCatalog.PLAN);
        return new ScenarioTenant(tenantId, "key-" + suffix, "secret-" + suffix, client, account, subscription);
    }

    /** The same tenant, read and written through another Kill Bill node. */
    public ScenarioTenant via(KillbillClient otherAdmin) {
        return new ScenarioTenant(tenantId, apiKey, apiSecret, otherAdmin.forTenant(apiKey, apiSecret), accountId, subscriptionId);
    }

    public String apiKey() {
        return apiKey;
    }

    public String apiSecret() {
        return apiSecret;
    }

    public static LocalDate today() {
        return LocalDate.now(ZoneOffset.UTC);
    }

    /** Usage totals per unit of the subscription, today (UTC), read over REST. */
    public Map<String, Long> usageToday() {
        return client.usageTotals(subscriptionId, today(), today().plusDays(1));
    }

    /** A usage message for this tenant's subscription, dated today. */
    public String usage(String trackingId, String unit, long amount) {
        return Meterstream.usage(tenantId, subscriptionId, trackingId, unit, today(), amount);
    }
}
