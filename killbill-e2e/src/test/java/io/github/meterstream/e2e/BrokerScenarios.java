package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

/**
 * The usage scenarios every broker must pass, end to end: a producer publishes to the real broker, the
 * {@code meterstream} plugin inside a real Kill Bill 0.22 consumes, and the outcome is judged only
 * through Kill Bill's REST API (usage totals, dry-run invoices) and the broker's dead-letter destination.
 * One Kill Bill server per class (the outage test restarts it, so it runs last); a fresh tenant per test.
 * Kill Bill runs on PostgreSQL unless a subclass chooses another {@link #database()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class BrokerScenarios {
    protected static final String SOURCE = "usage";
    protected static final Duration RECORDED_WITHIN = Duration.ofSeconds(120);
    private static final Logger LOG = LoggerFactory.getLogger(BrokerScenarios.class);

    protected ScenarioBroker broker;
    protected KillbillServer server;
    protected KillbillClient admin;

    /** The broker this class runs against (not started yet). */
    protected abstract ScenarioBroker createBroker();

    /** The server's name (its work directory under target/killbill/). */
    protected abstract String serverName();

    /**
     * The database Kill Bill runs on: PostgreSQL or MariaDB, not H2 (the outage scenario stops Kill Bill
     * moments after creating its tenant, and Kill Bill 0.22's embedded H2 lost those last writes on stop, seen
     * twice: the subscription was gone after the restart).
     */
    protected KillbillServer.Database database() {
        return KillbillServer.Database.POSTGRESQL;
    }

    private void publish(String key, String payload) throws Exception {
        broker.publish(key, payload);
    }

    @BeforeAll
    void startKillbill() throws Exception {
        broker = createBroker();
        broker.start();
        server = Meterstream.server(serverName(), SOURCE, broker.sourceConfig()).database(database()).build().start();
        admin = server.adminClient();
        LOG.info("TIMING {}: {} schema in {} ms, Kill Bill healthy in {} ms", serverName(), server.database(),
                server.schemaTime().toMillis(), server.startTime().toMillis());
        Meterstream.awaitSourceConnected(admin, SOURCE, Duration.ofSeconds(90));
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
    @DisplayName("usage published to the broker is recorded with the exact totals, and the dry-run invoice bills it")
    void publishedUsageIsRecordedAndBilled() throws Exception {
        ScenarioTenant t = ScenarioTenant.create(admin, "rec");
        String key = t.subscriptionId.toString();
        publish(key, t.usage("rec-1", UsageCatalog.API_CALL, 1000));
        publish(key, t.usage("rec-2", UsageCatalog.API_CALL, 234));
        publish(key, t.usage("rec-3", UsageCatalog.GB_STORED, 7));

        awaitUsage(t, Map.of(UsageCatalog.API_CALL, 1234L, UsageCatalog.GB_STORED, 7L));

        JsonNode invoice = t.client.dryRunInvoice(t.accountId, ScenarioTenant.today().withDayOfMonth(1).plusMonths(1));
        assertThat(invoice).as("dry-run invoice").isNotNull();
        BigDecimal expected = new BigDecimal(UsageCatalog.API_CALL_PRICE).multiply(BigDecimal.valueOf(1234))
                .add(new BigDecimal(UsageCatalog.GB_STORED_PRICE).multiply(BigDecimal.valueOf(7)));
        assertThat(usageBilled(invoice)).as("USAGE items of " + invoice).isEqualByComparingTo(expected);
    }

    @Test
    @Order(2)
    @DisplayName("the same trackingId published twice is recorded once")
    void duplicateRecordedOnce() throws Exception {
        ScenarioTenant t = ScenarioTenant.create(admin, "dup");
        String key = t.subscriptionId.toString();
        broker.publishTwice(key, t.usage("dup-1", UsageCatalog.API_CALL, 42));
        publish(key, t.usage("dup-2", UsageCatalog.API_CALL, 1));

        // both copies handled: one recorded, one acknowledged as a duplicate
        await("one copy recorded, the other seen as a duplicate").atMost(RECORDED_WITHIN).pollInterval(Duration.ofMillis(500))
                .until(() -> Meterstream.tenantCounts(admin, SOURCE, t.tenantId).path("duplicates").asLong() >= 1
                        && t.usageToday().getOrDefault(UsageCatalog.API_CALL, 0L) >= 43);
        assertThat(t.usageToday()).isEqualTo(Map.of(UsageCatalog.API_CALL, 43L));
        JsonNode counts = Meterstream.tenantCounts(admin, SOURCE, t.tenantId);
        assertThat(counts.path("recorded").asLong()).as("recorded " + counts).isEqualTo(2);
        assertThat(counts.path("duplicates").asLong()).as("duplicates " + counts).isEqualTo(1);
    }

    @Test
    @Order(3)
    @DisplayName("a unit not in the plan, another tenant's subscription and malformed JSON are dead-lettered with their reason; the messages after them are recorded")
    void rejectsAreDeadLettered() throws Exception {
        ScenarioTenant a = ScenarioTenant.create(admin, "dlq-a");
        ScenarioTenant b = ScenarioTenant.create(admin, "dlq-b");
        String run = "dlq-" + Long.toHexString(System.nanoTime());
        String key = a.subscriptionId.toString();
        publish(key, a.usage(run + "-unit", "sms", 5));
        publish(key, Meterstream.usage(a.tenantId, b.subscriptionId, run + "-foreign", UsageCatalog.API_CALL,
                ScenarioTenant.today(), 6));
        publish(key, "{\"trackingId\": \"" + run + "-malformed\", \"unitUsageRecords\": [");
        publish(key, a.usage(run + "-good", UsageCatalog.API_CALL, 7));

        awaitUsage(a, Map.of(UsageCatalog.API_CALL, 7L));
        List<ScenarioBroker.DeadLetter> mine = new ArrayList<>();
        await("3 dead letters of " + run).atMost(RECORDED_WITHIN).pollInterval(Duration.ofMillis(500)).until(() -> {
            mine.clear();
            broker.deadLetters().stream().filter(d -> d.payload.contains(run)).forEach(mine::add);
            return mine.size() >= 3;
        });
        Map<String, String> reasons = new LinkedHashMap<>();
        for (ScenarioBroker.DeadLetter d : mine) {
            String id = d.payload.contains(run + "-unit") ? "unit" : d.payload.contains(run + "-foreign") ? "foreign" : "malformed";
            reasons.put(id, d.reasonCode());
        }
        assertThat(reasons).as("reason codes of " + mine).isEqualTo(Map.of("unit", "UNIT_NOT_IN_PLAN",
                "foreign", "UNKNOWN_SUBSCRIPTION", "malformed", "MALFORMED_PAYLOAD"));
        assertThat(mine).allSatisfy(d -> assertThat(d.headers.get(Meterstream.REASON_HEADER)).as("reason of " + d).isNotBlank());
        // Kill Bill unchanged by the rejects
        assertThat(a.usageToday()).isEqualTo(Map.of(UsageCatalog.API_CALL, 7L));
        assertThat(b.usageToday()).as("the other tenant's subscription").isEmpty();
        assertThat(Meterstream.tenantCounts(admin, SOURCE, a.tenantId).path("deadLettered").asLong()).isGreaterThanOrEqualTo(2);
    }

    @Test
    @Order(100)
    @DisplayName("usage published while Kill Bill is stopped is recorded once after it starts again")
    void outage() throws Exception {
        ScenarioTenant t = ScenarioTenant.create(admin, "outage");
        String key = t.subscriptionId.toString();
        long expected = 0;
        // amounts are powers of two: the total tells exactly which messages were recorded, and how often
        for (int i = 0; i < 3; i++) {
            publish(key, t.usage("out-" + i, UsageCatalog.API_CALL, 1L << i));
            expected += 1L << i;
        }
        server.stop();
        for (int i = 3; i < 8; i++) {
            publish(key, t.usage("out-" + i, UsageCatalog.API_CALL, 1L << i));
            expected += 1L << i;
        }
        server.start();
        LOG.info("TIMING {}: Kill Bill back in {} ms", serverName(), server.startTime().toMillis());
        for (int i = 8; i < 10; i++) {
            publish(key, t.usage("out-" + i, UsageCatalog.API_CALL, 1L << i));
            expected += 1L << i;
        }
        awaitUsage(t, Map.of(UsageCatalog.API_CALL, expected));
    }

    // ------------------------------------------------------------------------------------------ helpers

    protected void awaitUsage(ScenarioTenant t, Map<String, Long> expected) {
        List<Map<String, Long>> last = new ArrayList<>(List.of(Map.of()));
        try {
            await("usage of " + t.subscriptionId + " = " + expected).atMost(RECORDED_WITHIN).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().until(() -> {
                        last.set(0, t.usageToday());
                        return last.get(0).equals(expected);
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("Kill Bill reports " + last.get(0) + ", expected " + expected + "; plugin status: "
                    + safeStatus(), e);
        }
    }

    private String safeStatus() {
        try {
            return Meterstream.status(admin, null).toString();
        } catch (RuntimeException e) {
            return "(unavailable: " + e + ")";
        }
    }

    static BigDecimal usageBilled(JsonNode invoice) {
        BigDecimal usage = BigDecimal.ZERO;
        for (JsonNode item : invoice.path("items")) {
            if ("USAGE".equals(item.path("itemType").asText())) {
                usage = usage.add(item.path("amount").decimalValue());
            }
        }
        return usage;
    }
}
