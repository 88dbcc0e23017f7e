package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

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

/**
 * Two Kill Bill nodes of one cluster (one database: PostgreSQL unless a subclass chooses MariaDB) whose plugins
 * consume the same destination (one Kafka consumer group, or competing consumers of one queue). Judged by Kill
 * Bill's REST API and, for "exactly once per trackingId", by Kill Bill's own {@code rolled_up_usage} table and
 * the plugin's idempotency table in the same database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class TwoNodeScenarios {
    private static final Logger LOG = LoggerFactory.getLogger(TwoNodeScenarios.class);
    private static final String SOURCE = "usage";
    private static final Duration WITHIN = Duration.ofSeconds(180);
    /** The plugin's default idempotency table ({@code JdbcIdempotencyStore.DEFAULT_TABLE_NAME}). */
    private static final String IDEMPOTENCY_TABLE = "meterstream_idempotency";

    private ScenarioBroker broker;
    private KillbillServer nodeA;
    private KillbillServer nodeB;

    protected abstract ScenarioBroker createBroker();

    /** Prefix of the two servers' names. */
    protected abstract String serverName();

    /** The database both nodes share: PostgreSQL or MariaDB (an H2 file belongs to one JVM). */
    protected KillbillServer.Database database() {
        return KillbillServer.Database.POSTGRESQL;
    }

    @BeforeAll
    void start() throws Exception {
        broker = createBroker();
        broker.start();
        Map<String, String> source = broker.sourceConfig();
        nodeA = Meterstream.server(serverName() + "-a", SOURCE, source).database(database()).build().start();
        nodeB = Meterstream.server(serverName() + "-b", SOURCE, source).sharedDatabase(nodeA).build().start();
        Meterstream.awaitSourceConnected(nodeA.adminClient(), SOURCE, Duration.ofSeconds(90));
        Meterstream.awaitSourceConnected(nodeB.adminClient(), SOURCE, Duration.ofSeconds(90));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (nodeB != null) {
                nodeB.close();
            }
            if (nodeA != null) {
                nodeA.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    @Order(1)
    @DisplayName("both nodes consume; every trackingId is recorded exactly once, also when the same message is published twice")
    void exactlyOnceAcrossNodes() throws Exception {
        ScenarioTenant t = ScenarioTenant.create(nodeA.adminClient(), "two-nodes");
        int messages = 120;
        for (int i = 0; i < messages; i++) {
            String trackingId = "two-" + i;
            String payload = t.usage(trackingId, UsageCatalog.API_CALL, 1);
            if (i % 6 == 0) {
                // usually taken by both nodes at about the same time
                broker.publishTwice(trackingId, payload);
            } else {
                broker.publish(trackingId, payload);
            }
        }

        awaitTotal(t, messages);
        assertRecordedOnceEach(t, messages);
        assertCompletedOnceEach("two-", messages);
        long a = Meterstream.tenantCounts(nodeA.adminClient(), SOURCE, t.tenantId).path("recorded").asLong();
        long b = Meterstream.tenantCounts(nodeB.adminClient(), SOURCE, t.tenantId).path("recorded").asLong();
        LOG.info("{}: recorded by node A: {}, node B: {}", serverName(), a, b);
        assertThat(a + b).as("recorded by A (%d) + B (%d)", a, b).isEqualTo(messages);
        assertThat(a).as("node A recorded some").isPositive();
        assertThat(b).as("node B recorded some").isPositive();
    }

    @Test
    @Order(2)
    @DisplayName("when one node is stopped mid-stream the other takes over and nothing is lost")
    void takeover() throws Exception {
        // created through A, read through B, which stays up
        ScenarioTenant t = ScenarioTenant.create(nodeA.adminClient(), "takeover").via(nodeB.adminClient());
        int messages = 200;
        AtomicInteger published = new AtomicInteger();
        CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < messages; i++) {
                String trackingId = "take-" + i;
                try {
                    broker.publish(trackingId, t.usage(trackingId, UsageCatalog.API_CALL, 1));
                } catch (Exception e) {
                    throw new IllegalStateException("publishing " + trackingId, e);
                }
                published.incrementAndGet();
                // a steady stream (at most 20 a second), not a wait for anything
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        });
        await("a quarter of the stream recorded").atMost(WITHIN).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> t.usageToday().getOrDefault(UsageCatalog.API_CALL, 0L) >= messages / 4);
        LOG.info("{}: stopping node A after {} published", serverName(), published.get());
        nodeA.stop();
        LOG.info("{}: node A stopped, {} published", serverName(), published.get());
        stream.get(180, TimeUnit.SECONDS);
        assertThat(published.get()).as("published while node A stopped").isEqualTo(messages);

        awaitTotal(t, messages);
        assertRecordedOnceEach(t, messages);
        assertCompletedOnceEach("take-", messages);
    }

    private void awaitTotal(ScenarioTenant t, long expected) {
        await("api-call total " + expected).atMost(WITHIN).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> t.usageToday().getOrDefault(UsageCatalog.API_CALL, 0L) >= expected);
        assertThat(t.usageToday()).isEqualTo(Map.of(UsageCatalog.API_CALL, expected));
    }

    /** Kill Bill's rolled_up_usage holds exactly one row per trackingId of the subscription. */
    private void assertRecordedOnceEach(ScenarioTenant t, int trackingIds) throws Exception {
        Map<String, Integer> rows = new LinkedHashMap<>();
        try (Connection c = nodeA.openConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT tracking_id, count(*) FROM rolled_up_usage WHERE subscription_id = ? GROUP BY tracking_id")) {
            ps.setString(1, t.subscriptionId.toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        assertThat(rows).hasSize(trackingIds);
        assertThat(rows.values()).as("rows per trackingId").containsOnly(1);
    }

    /**
     * The plugin's idempotency table (created by the plugin itself, {@code JdbcIdempotencyStore.createTableIfAbsent},
     * in Kill Bill's database, whichever that is) holds one COMPLETED key per trackingId {@code <prefix><i>}: both
     * nodes claimed through the one shared table.
     */
    private void assertCompletedOnceEach(String trackingIdPrefix, int trackingIds) throws Exception {
        // a key is completed just after Kill Bill recorded its usage: give the last ones a moment
        await("COMPLETED keys " + trackingIdPrefix + "*").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> completedKeys(trackingIdPrefix).size() >= trackingIds);
        Map<String, Integer> completed = completedKeys(trackingIdPrefix);
        assertThat(completed).as("COMPLETED keys in %s on %s", IDEMPOTENCY_TABLE, nodeB.database()).hasSize(trackingIds);
        assertThat(completed.values()).as("COMPLETED rows per trackingId").containsOnly(1);
    }

    private Map<String, Integer> completedKeys(String trackingIdPrefix) throws Exception {
        Map<String, Integer> completed = new LinkedHashMap<>();
        // node B's handle on the shared database: A is stopped in the takeover test, B never is
        try (Connection c = nodeB.openConnection();
             PreparedStatement ps = c.prepareStatement("SELECT key_id, count(*) FROM " + IDEMPOTENCY_TABLE
                     + " WHERE key_id LIKE ? AND state = 'COMPLETED' GROUP BY key_id")) {
            ps.setString(1, trackingIdPrefix + "%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    completed.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return completed;
    }
}
