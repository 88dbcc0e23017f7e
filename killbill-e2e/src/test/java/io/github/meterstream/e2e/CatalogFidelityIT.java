package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The plugin's unit check ({@code UNIT_NOT_IN_PLAN}) against what a real Kill Bill 0.22 bills, when a new catalog
 * version drops a unit or a subscription changes plan. Kill Bill's test clock is moved so that subscriptions are
 * really created before and after the new version: the clock starts at {@link #T0}, where tenants "plain",
 * "moving" and "retired" get catalog version 1 (units {@value #CALLS} and {@value #LEGACY}), an account and a
 * subscription, and tenant "changing" one version with two plans; then version 2 effective {@link #V2} (units
 * {@value #CALLS} and {@value #NEW}) is uploaded: for "plain" without {@code effectiveDateForExistingSubscriptions},
 * for "moving" with it at {@link #EXISTING_MOVE}; "retired" gets a version 2 without the plan and a version 3
 * ({@link #V3}) with it again. At {@link #T1} a second subscription is created on "plain" and the "changing"
 * subscription changes plan; at {@link #T2} usage is published to Kafka and, where the plugin refuses it, recorded
 * over REST for comparison. Each verdict of the plugin is compared with the usage lines of Kill Bill's dry-run
 * invoice for the period ({@link #TARGET}), read per unit from the lines' {@code itemDetails}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("Unit check vs. Kill Bill 0.22's choice of catalog version (Kafka -> meterstream -> Kill Bill, test clock)")
class CatalogFidelityIT {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogFidelityIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = "usage";
    private static final Duration WITHIN = Duration.ofSeconds(90);

    static final String PLAN = "fidelity-monthly";
    static final String CALLS = "calls";
    /** In version 1 only. */
    static final String LEGACY = "legacy-unit";
    /** In version 2 only. */
    static final String NEW = "new-unit";
    /** The plan the "changing" tenant's subscription moves to at {@link #T1}, with unit {@value #GPU} instead of {@value #LEGACY}. */
    static final String PRO_PLAN = "fidelity-pro";
    static final String GPU = "gpu-seconds";
    /** The only plan of the "retired" tenant's version 2. */
    static final String OTHER_PLAN = "fidelity-other";
    static final String V3 = "2025-02-05T00:00:00+00:00";

    static final String V1 = "2024-01-01T00:00:00+00:00";
    static final String V2 = "2025-02-01T00:00:00+00:00";
    static final String EXISTING_MOVE = "2025-02-10T00:00:00+00:00";
    static final Instant T0 = Instant.parse("2025-01-10T12:00:00Z");
    static final Instant T1 = Instant.parse("2025-02-15T12:00:00Z");
    static final Instant T2 = Instant.parse("2025-02-25T12:00:00Z");
    /** Before {@link #T1} (the plan change), after {@link #EXISTING_MOVE}. */
    static final LocalDate BEFORE_CHANGE = LocalDate.parse("2025-02-12");
    /** Before {@link #EXISTING_MOVE}, after {@link #V2}. */
    static final LocalDate BEFORE_MOVE = LocalDate.parse("2025-02-05");
    /** After {@link #EXISTING_MOVE} and after the second subscription's creation ({@link #T1}). */
    static final LocalDate LATE_FEB = LocalDate.parse("2025-02-20");
    static final LocalDate FEB = LocalDate.parse("2025-02-01");
    static final LocalDate TARGET = LocalDate.parse("2025-03-01");

    private KafkaBroker broker;
    private KillbillServer server;
    private KillbillClient admin;
    private Tenant plain;
    private Tenant moving;
    /** One catalog version with plans {@value #PLAN} and {@value #PRO_PLAN}; its subscription changes plan at {@link #T1}. */
    private Tenant changing;
    /**
     * Version 1 with {@value #PLAN}, version 2 ({@link #V2}) without it (retired: only {@value #OTHER_PLAN}), version 3
     * ({@link #V3}) with it again, units {@value #CALLS} and {@value #NEW}, and effectiveDateForExistingSubscriptions
     * {@link #EXISTING_MOVE}; its subscription was created on version 1.
     */
    private Tenant retired;
    /** On the "plain" tenant, created at {@link #T1}, after version 2. */
    private UUID createdAfterV2;

    /** A tenant with its client, account and the subscription created at {@link #T0}. */
    static final class Tenant {
        final UUID id;
        final KillbillClient client;
        UUID account;
        UUID existing;

        Tenant(UUID id, KillbillClient client) {
            this.id = id;
            this.client = client;
        }
    }

    @BeforeAll
    void startAndSetUpCatalogHistory() throws Exception {
        broker = new KafkaBroker("usage-fidelity", 1);
        broker.start();
        server = Meterstream.server("fidelity", SOURCE, broker.sourceConfig()).database(KillbillServer.Database.POSTGRESQL)
                .build().start();
        admin = server.adminClient();
        LOG.info("TIMING fidelity: schema in {} ms, Kill Bill healthy in {} ms", server.schemaTime().toMillis(),
                server.startTime().toMillis());
        Meterstream.awaitSourceConnected(admin, SOURCE, Duration.ofSeconds(90));

        plain = tenant("plain");
        moving = tenant("moving");
        changing = tenant("changing");
        retired = tenant("retired");
        LOG.info("clock set to {}", plain.client.setClock(T0, 5));
        for (Tenant t : List.of(plain, moving, retired)) {
            t.client.uploadCatalog(catalog(V1, null, CALLS, LEGACY));
            t.account = t.client.createAccount("acct-" + t.id, "USD", 1);
            t.existing = t.client.createSubscription(t.account, "existing-" + t.id, PLAN);
        }
        changing.client.uploadCatalog(catalog(V1, null, Map.of(PLAN, List.of(CALLS, LEGACY), PRO_PLAN, List.of(CALLS, GPU))));
        changing.account = changing.client.createAccount("acct-" + changing.id, "USD", 1);
        changing.existing = changing.client.createSubscription(changing.account, "changing-" + changing.id, PLAN);
        plain.client.uploadCatalog(catalog(V2, null, CALLS, NEW));
        moving.client.uploadCatalog(catalog(V2, EXISTING_MOVE, CALLS, NEW));
        retired.client.uploadCatalog(catalog(V2, null, Map.of(OTHER_PLAN, List.of(CALLS))));
        retired.client.uploadCatalog(catalog(V3, EXISTING_MOVE, CALLS, NEW));

        LOG.info("clock set to {}", plain.client.setClock(T1, 10));
        moving.client.awaitQueues(10);
        createdAfterV2 = plain.client.createSubscription(plain.account, "created-after-v2-" + plain.id, PLAN);
        changing.client.changePlan(changing.existing, PRO_PLAN);

        LOG.info("clock set to {}", plain.client.setClock(T2, 10));
        moving.client.awaitQueues(10);
        changing.client.awaitQueues(10);
        LOG.info("subscription that changed plan: {}", changing.client.subscription(changing.existing).path("events"));
        LOG.info("subscription created before version 2 (plain): {}", plain.client.subscription(plain.existing).path("events"));
        LOG.info("subscription created before version 2 (moving): {}", moving.client.subscription(moving.existing).path("events"));
        LOG.info("subscription created after version 2 (plain): {}", plain.client.subscription(createdAfterV2).path("events"));
    }

    @AfterAll
    void stopAll() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    @Order(1)
    @DisplayName("a: version 2 without effectiveDateForExistingSubscriptions: the subscription created before it keeps "
            + "version 1, so the dropped unit is recorded by meterstream and billed by Kill Bill's dry run; the added unit is "
            + "refused, and Kill Bill does not bill it either")
    void existingSubscriptionStaysOnOldVersion() throws Exception {
        UUID sub = plain.existing;
        publish(plain, sub, "a-added", NEW, LATE_FEB, 4);
        publish(plain, sub, "a-dropped", LEGACY, LATE_FEB, 3);

        awaitRecorded(plain, sub, Map.of(LEGACY, 3L));
        assertThat(awaitDeadLetter(sub + "-a-added").reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
        recordOverRest(plain, sub, "a-added-rest", NEW, LATE_FEB, 4);
        assertThat(storedUsage(plain, sub)).as("Kill Bill stores both").isEqualTo(Map.of(LEGACY, 3L, NEW, 4L));

        Billed billed = dryRun(plain, sub);
        assertThat(billed.quantities).as("dry-run usage lines " + billed.lines).isEqualTo(Map.of(LEGACY, 3L));
        assertThat(billed.catalogDates).as("catalog version of the usage lines").containsOnly(V1.substring(0, 10));
    }

    @Test
    @Order(2)
    @DisplayName("b: version 2 with effectiveDateForExistingSubscriptions: the dropped unit is recorded before that date "
            + "and refused after it (UNIT_NOT_IN_PLAN); recorded over REST instead, Kill Bill does not bill it, and bills "
            + "the added unit from that date")
    void existingSubscriptionMovesAtTheDate() throws Exception {
        UUID sub = moving.existing;
        publish(moving, sub, "b-dropped-after", LEGACY, LATE_FEB, 7);
        publish(moving, sub, "b-dropped-before", LEGACY, BEFORE_MOVE, 5);
        publish(moving, sub, "b-added-after", NEW, LATE_FEB, 11);

        awaitRecorded(moving, sub, Map.of(LEGACY, 5L, NEW, 11L));
        assertThat(awaitDeadLetter(sub + "-b-dropped-after").reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
        recordOverRest(moving, sub, "b-dropped-after-rest", LEGACY, LATE_FEB, 7);
        assertThat(storedUsage(moving, sub)).as("Kill Bill stores all three").isEqualTo(Map.of(LEGACY, 12L, NEW, 11L));

        Billed billed = dryRun(moving, sub);
        assertThat(billed.quantities).as("dry-run usage lines " + billed.lines).isEqualTo(Map.of(LEGACY, 5L, NEW, 11L));
        assertThat(billed.catalogDates).as("catalog versions of the usage lines").containsOnly(V1.substring(0, 10),
                V2.substring(0, 10));
    }

    @Test
    @Order(3)
    @DisplayName("c: a subscription created after version 2: the dropped unit is refused, and Kill Bill does not bill it "
            + "when recorded over REST; the added unit is recorded and billed")
    void newSubscriptionUsesNewVersion() throws Exception {
        UUID sub = createdAfterV2;
        publish(plain, sub, "c-dropped", LEGACY, LATE_FEB, 13);
        publish(plain, sub, "c-added", NEW, LATE_FEB, 17);

        awaitRecorded(plain, sub, Map.of(NEW, 17L));
        assertThat(awaitDeadLetter(sub + "-c-dropped").reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
        recordOverRest(plain, sub, "c-dropped-rest", LEGACY, LATE_FEB, 13);
        assertThat(storedUsage(plain, sub)).as("Kill Bill stores both").isEqualTo(Map.of(LEGACY, 13L, NEW, 17L));

        Billed billed = dryRun(plain, sub);
        assertThat(billed.quantities).as("dry-run usage lines " + billed.lines).isEqualTo(Map.of(NEW, 17L));
        assertThat(billed.catalogDates).as("catalog version of the usage lines").containsOnly(V2.substring(0, 10));
    }

    @Test
    @Order(4)
    @DisplayName("d: after a plan change, usage dated before the change of a unit only the former plan has is recorded and "
            + "billed; dated after it, it is refused, and Kill Bill does not bill it when recorded over REST")
    void usageBeforePlanChangeUsesFormerPlan() throws Exception {
        UUID sub = changing.existing;
        publish(changing, sub, "d-former-after", LEGACY, LATE_FEB, 19);
        publish(changing, sub, "d-former-before", LEGACY, BEFORE_CHANGE, 23);
        publish(changing, sub, "d-new-after", GPU, LATE_FEB, 29);

        awaitRecorded(changing, sub, Map.of(LEGACY, 23L, GPU, 29L));
        assertThat(awaitDeadLetter(sub + "-d-former-after").reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
        recordOverRest(changing, sub, "d-former-after-rest", LEGACY, LATE_FEB, 19);
        assertThat(storedUsage(changing, sub)).as("Kill Bill stores all three").isEqualTo(Map.of(LEGACY, 42L, GPU, 29L));

        Billed billed = dryRun(changing, sub);
        assertThat(billed.quantities).as("dry-run usage lines " + billed.lines).isEqualTo(Map.of(LEGACY, 23L, GPU, 29L));
        assertThat(billed.usageNames).as("usage sections of the usage lines").containsExactlyInAnyOrder(PLAN + "-usage",
                PRO_PLAN + "-usage");
    }

    @Test
    @Order(5)
    @DisplayName("e: a plan retired in version 2 and back in version 3 with effectiveDateForExistingSubscriptions: after "
            + "that date, meterstream accepts exactly the units Kill Bill's dry run bills for the subscription created on version 1")
    void planRetiredThenBackWithEffectiveDate() throws Exception {
        UUID sub = retired.existing;
        publish(retired, sub, "e-v1-unit", LEGACY, LATE_FEB, 31);
        publish(retired, sub, "e-v3-unit", NEW, LATE_FEB, 37);
        publish(retired, sub, "e-shared", CALLS, LATE_FEB, 41);

        awaitRecorded(retired, sub, Map.of(CALLS, 41L), Map.of(LEGACY, 31L, NEW, 37L));
        Map<String, Long> accepted = storedUsage(retired, sub);
        Map<String, String> refused = new TreeMap<>();
        for (String unit : List.of(LEGACY, NEW)) {
            if (!accepted.containsKey(unit)) {
                String label = LEGACY.equals(unit) ? "e-v1-unit" : "e-v3-unit";
                refused.put(unit, awaitDeadLetter(sub + "-" + label).reasonCode());
                recordOverRest(retired, sub, label + "-rest", unit, LATE_FEB, LEGACY.equals(unit) ? 31 : 37);
            }
        }
        assertThat(refused.values()).as("reasons of the refused units " + refused).containsOnly("UNIT_NOT_IN_PLAN");
        assertThat(storedUsage(retired, sub)).as("Kill Bill stores all three").isEqualTo(Map.of(LEGACY, 31L, NEW, 37L, CALLS, 41L));

        Billed billed = dryRun(retired, sub);
        Map<String, Long> acceptedByMeterstream = new TreeMap<>(accepted);
        assertThat(billed.quantities).as("Kill Bill's dry-run usage lines " + billed.lines + " vs the units meterstream "
                + "recorded " + acceptedByMeterstream + " (refused: " + refused + ")").isEqualTo(acceptedByMeterstream);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private Tenant tenant(String label) {
        String suffix = label + "-" + Long.toHexString(System.nanoTime());
        UUID id = admin.createTenant("key-" + suffix, "secret-" + suffix, "tenant-" + suffix);
        return new Tenant(id, admin.forTenant("key-" + suffix, "secret-" + suffix));
    }

    private void publish(Tenant t, UUID sub, String label, String unit, LocalDate date, long amount) throws Exception {
        broker.publish(sub.toString(), Meterstream.usage(t.id, sub, sub + "-" + label, unit, date, amount));
    }

    private static void recordOverRest(Tenant t, UUID sub, String label, String unit, LocalDate date, long amount) {
        KillbillClient.Response r = t.client.recordUsage(sub, sub + "-" + label, unit, date, amount);
        assertThat(r.status()).as("POST /1.0/kb/usages " + r).isEqualTo(201);
    }

    private static Map<String, Long> storedUsage(Tenant t, UUID sub) {
        return t.client.usageTotals(sub, FEB, TARGET);
    }

    /**
     * Waits until {@code required} is recorded and each unit of {@code eitherWay} is recorded with its amount or
     * dead-lettered (trackingId {@code <sub>-e-...} in the dead letters).
     */
    private void awaitRecorded(Tenant t, UUID sub, Map<String, Long> required, Map<String, Long> eitherWay) {
        await("usage of " + sub + ": " + required + " recorded, " + eitherWay.keySet() + " recorded or dead-lettered")
                .atMost(WITHIN).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
                    Map<String, Long> stored = storedUsage(t, sub);
                    for (Map.Entry<String, Long> e : required.entrySet()) {
                        if (!e.getValue().equals(stored.get(e.getKey()))) {
                            return false;
                        }
                    }
                    long deadLettered = broker.deadLetters().stream().filter(d -> d.payload.contains(sub + "-e-")).count();
                    long recorded = eitherWay.entrySet().stream().filter(e -> e.getValue().equals(stored.get(e.getKey()))).count();
                    return deadLettered + recorded == eitherWay.size();
                });
    }

    private void awaitRecorded(Tenant t, UUID sub, Map<String, Long> expected) {
        List<Map<String, Long>> last = new ArrayList<>(List.of(Map.of()));
        try {
            await("usage of " + sub + " = " + expected).atMost(WITHIN).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> {
                        last.set(0, storedUsage(t, sub));
                        return last.get(0).equals(expected);
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("Kill Bill reports " + last.get(0) + ", expected " + expected + "; dead letters: "
                    + safeDeadLetters() + "; plugin status: " + Meterstream.status(admin, t.id), e);
        }
    }

    private ScenarioBroker.DeadLetter awaitDeadLetter(String trackingId) {
        List<ScenarioBroker.DeadLetter> found = new ArrayList<>();
        await("dead letter of " + trackingId).atMost(WITHIN).pollInterval(Duration.ofMillis(500)).until(() -> {
            found.clear();
            broker.deadLetters().stream().filter(d -> d.payload.contains("\"" + trackingId + "\"")).forEach(found::add);
            return !found.isEmpty();
        });
        assertThat(found).as("dead letters of " + trackingId).hasSize(1);
        LOG.info("dead letter: {}", found.get(0));
        assertThat(found.get(0).headers.get(Meterstream.REASON_HEADER)).as("reason").isNotBlank();
        return found.get(0);
    }

    private String safeDeadLetters() {
        try {
            return broker.deadLetters().toString();
        } catch (Exception e) {
            return "(unavailable: " + e + ")";
        }
    }

    /** The usage lines of {@code sub} in the account's dry-run invoice at {@link #TARGET}. */
    static final class Billed {
        /** Quantity per unit, from the lines' itemDetails (tierDetails), units with quantity 0 left out. */
        final Map<String, Long> quantities = new TreeMap<>();
        /** The catalog version (date) of each usage line. */
        final List<String> catalogDates = new ArrayList<>();
        /** The usage section of each usage line (one per plan here). */
        final List<String> usageNames = new ArrayList<>();
        final List<String> lines = new ArrayList<>();
    }

    private static Billed dryRun(Tenant t, UUID sub) {
        JsonNode invoice = t.client.dryRunInvoice(t.account, TARGET);
        Billed billed = new Billed();
        if (invoice == null) {
            return billed;
        }
        for (JsonNode item : invoice.path("items")) {
            if (!"USAGE".equals(item.path("itemType").asText()) || !sub.toString().equals(item.path("subscriptionId").asText())) {
                continue;
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("period", item.path("startDate").asText() + ".." + item.path("endDate").asText());
            line.put("amount", item.path("amount").decimalValue());
            line.put("catalog", item.path("catalogEffectiveDate").asText());
            line.put("usage", item.path("usageName").asText());
            billed.usageNames.add(item.path("usageName").asText());
            line.put("details", item.path("itemDetails").asText());
            billed.lines.add(line.toString());
            String catalogDate = item.path("catalogEffectiveDate").asText("");
            billed.catalogDates.add(catalogDate.length() >= 10 ? catalogDate.substring(0, 10) : catalogDate);
            try {
                for (JsonNode tier : JSON.readTree(item.path("itemDetails").asText()).path("tierDetails")) {
                    long quantity = tier.path("quantity").asLong();
                    if (quantity != 0) {
                        billed.quantities.merge(tier.path("tierUnit").asText(), quantity, Long::sum);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("itemDetails of " + item, e);
            }
        }
        LOG.info("dry run of {} at {}: {}", sub, TARGET, billed.lines);
        return billed;
    }

    /** One catalog version with plan {@value #PLAN} only, billing {@code units}. */
    static String catalog(String effectiveDate, String effectiveForExisting, String... units) {
        return catalog(effectiveDate, effectiveForExisting, Map.of(PLAN, List.of(units)));
    }

    /**
     * One catalog version: each plan its own product, one EVERGREEN phase, one IN_ARREAR CONSUMABLE usage section
     * ({@code <plan>-usage}) billing each of its units at 1 USD per unit, monthly; {@code effectiveForExisting}
     * (nullable) is every plan's {@code effectiveDateForExistingSubscriptions}.
     */
    static String catalog(String effectiveDate, String effectiveForExisting, Map<String, List<String>> unitsByPlan) {
        java.util.Set<String> allUnits = new java.util.TreeSet<>();
        unitsByPlan.values().forEach(allUnits::addAll);
        StringBuilder unitDecl = new StringBuilder();
        for (String u : allUnits) {
            unitDecl.append("        <unit name=\"").append(u).append("\"/>\n");
        }
        StringBuilder products = new StringBuilder();
        StringBuilder plans = new StringBuilder();
        StringBuilder priceList = new StringBuilder();
        for (Map.Entry<String, List<String>> plan : new TreeMap<>(unitsByPlan).entrySet()) {
            String name = plan.getKey();
            StringBuilder blocks = new StringBuilder();
            for (String u : plan.getValue()) {
                blocks.append("                  <tieredBlock><unit>").append(u).append("</unit><size>1</size>"
                        + "<prices><price><currency>USD</currency><value>1.00</value></price></prices><max>-1</max></tieredBlock>\n");
            }
            products.append("<product name=\"P-").append(name).append("\"><category>BASE</category></product>");
            priceList.append("<plan>").append(name).append("</plan>");
            plans.append("        <plan name=\"" + name + "\">\n"
                    + (effectiveForExisting == null ? ""
                            : "            <effectiveDateForExistingSubscriptions>" + effectiveForExisting
                                    + "</effectiveDateForExistingSubscriptions>\n")
                    + "            <product>P-" + name + "</product>\n"
                    + "            <finalPhase type=\"EVERGREEN\">\n"
                    + "                <duration><unit>UNLIMITED</unit></duration>\n"
                    + "                <usages>\n"
                    + "                    <usage name=\"" + name + "-usage\" billingMode=\"IN_ARREAR\" usageType=\"CONSUMABLE\">\n"
                    + "                        <billingPeriod>MONTHLY</billingPeriod>\n"
                    + "                        <tiers><tier><blocks>\n" + blocks
                    + "                        </blocks></tier></tiers>\n"
                    + "                    </usage>\n"
                    + "                </usages>\n"
                    + "            </finalPhase>\n"
                    + "        </plan>\n");
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                + "<catalog xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation=\"CatalogSchema.xsd\">\n"
                + "    <effectiveDate>" + effectiveDate + "</effectiveDate>\n"
                + "    <catalogName>MeterstreamFidelity</catalogName>\n"
                + "    <recurringBillingMode>IN_ADVANCE</recurringBillingMode>\n"
                + "    <currencies><currency>USD</currency></currencies>\n"
                + "    <units>\n" + unitDecl + "    </units>\n"
                + "    <products>" + products + "</products>\n"
                + "    <rules>\n"
                + "        <changePolicy><changePolicyCase><policy>IMMEDIATE</policy></changePolicyCase></changePolicy>\n"
                + "        <cancelPolicy><cancelPolicyCase><policy>IMMEDIATE</policy></cancelPolicyCase></cancelPolicy>\n"
                + "        <createAlignment><createAlignmentCase><alignment>START_OF_BUNDLE</alignment></createAlignmentCase></createAlignment>\n"
                + "        <billingAlignment><billingAlignmentCase><alignment>ACCOUNT</alignment></billingAlignmentCase></billingAlignment>\n"
                + "        <priceList><priceListCase><toPriceList>DEFAULT</toPriceList></priceListCase></priceList>\n"
                + "    </rules>\n"
                + "    <plans>\n" + plans + "    </plans>\n"
                + "    <priceLists><defaultPriceList name=\"DEFAULT\"><plans>" + priceList + "</plans></defaultPriceList></priceLists>\n"
                + "</catalog>\n";
    }
}
