package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.deadletter.RejectionQuery;
import io.github.meterstream.core.deadletter.StoredRejection;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.MeterstreamTenantRules;
import io.github.meterstream.killbill.fakes.FakeCatalog;
import io.github.meterstream.killbill.fakes.FakeKillbill;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSourceFactory;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

import static io.github.meterstream.killbill.fakes.FakeCatalog.blocks;
import static io.github.meterstream.killbill.fakes.FakeCatalog.phase;
import static io.github.meterstream.killbill.fakes.FakeCatalog.plan;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("The plugin's pipelines, outside OSGi, on the in-memory broker")
class MeterstreamRuntimeTest {

    static final String P = MeterstreamConfigProperties.PREFIX;
    static final AtomicLong SEQ = new AtomicLong();

    FakeKillbill kb;
    UUID tenant;
    UUID otherTenant;
    FakeKillbill.Sub sub;
    FakeKillbill.Sub otherSub;
    String brokerName;
    InMemoryBroker broker;
    final List<MeterstreamRuntime> runtimes = new ArrayList<>();
    final Map<String, AtomicLong> metrics = new ConcurrentHashMap<>();
    final Map<String, java.util.function.Supplier<? extends Number>> gauges = new ConcurrentHashMap<>();
    final MetricsSink sink = new MetricsSink() {
        @Override
        public void increment(String name) {
            metrics.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void gauge(String name, java.util.function.Supplier<? extends Number> value) {
            gauges.put(name, value);
        }

        @Override
        public void remove(String name) {
            gauges.remove(name);
        }
    };

    @BeforeEach
    void setUp() {
        kb = new FakeKillbill();
        tenant = kb.tenant("key-t");
        otherTenant = kb.tenant("key-o");
        FakeCatalog catalog = new FakeCatalog().version(Instant.parse("2024-01-01T00:00:00Z"),
                plan("api-monthly", phase(blocks("api-calls"))));
        kb.catalog(tenant, catalog);
        kb.catalog(otherTenant, catalog);
        sub = kb.subscription(tenant, "sub-1", "api-monthly", Instant.parse("2024-06-01T00:00:00Z"));
        otherSub = kb.subscription(otherTenant, "sub-2", "api-monthly", Instant.parse("2024-06-01T00:00:00Z"));
        brokerName = "plugin-test-" + SEQ.incrementAndGet();
        broker = InMemoryBroker.named(brokerName);
    }

    @AfterEach
    void tearDown() {
        runtimes.forEach(MeterstreamRuntime::stop);
    }

    Properties config(String... extra) {
        Properties p = new Properties();
        p.setProperty(P + "sources.usage.type", "in-memory");
        p.setProperty(P + "sources.usage.broker", brokerName);
        p.setProperty(P + "sources.usage.queue", "usage");
        p.setProperty(P + "sources.usage.pipeline.retry.initial-delay", "10ms");
        p.setProperty(P + "sources.usage.pipeline.retry.max-delay", "50ms");
        p.setProperty(P + "sources.usage.pipeline.circuit.failure-threshold", "3");
        p.setProperty(P + "sources.usage.pipeline.circuit.open-duration", "50ms");
        p.setProperty(P + "sources.usage.pipeline.close-timeout", "1s");
        p.setProperty(P + "stop-timeout", "2s");
        for (int i = 0; i < extra.length; i += 2) {
            p.setProperty(P + extra[i], extra[i + 1]);
        }
        return p;
    }

    MeterstreamRuntime start(Properties p, IdempotencyStore store) {
        return start(p, store, new InMemoryBrokerSourceFactory());
    }

    MeterstreamRuntime start(Properties p, IdempotencyStore store, io.github.meterstream.core.source.BrokerSourceFactory... extra) {
        return start(p, store, t -> MeterstreamTenantRules.defaults(), extra);
    }

    MeterstreamRuntime start(Properties p, IdempotencyStore store, TenantRulesSource tenantRules,
                                           io.github.meterstream.core.source.BrokerSourceFactory... extra) {
        return start(p, store, null, tenantRules, extra);
    }

    MeterstreamRuntime start(Properties p, IdempotencyStore store, JdbcDeadLetterStore rejections, TenantRulesSource tenantRules,
                             io.github.meterstream.core.source.BrokerSourceFactory... extra) {
        MeterstreamConfigProperties config = MeterstreamConfigProperties.from(p);
        BrokerSourceFactories factories = SourceFactoryRegistry.available(getClass().getClassLoader(), extra);
        MeterstreamRuntime r = MeterstreamAssembly.build(config, kb, KillbillLines.detect(), Clock.systemUTC(),
                tenantRules, factories, store, rejections, sink);
        runtimes.add(r);
        r.start();
        return r;
    }

    static String message(UUID tenant, UUID subscription, String trackingId, String unit) {
        return "{\"tenantId\":\"" + tenant + "\",\"subscriptionId\":\"" + subscription + "\",\"trackingId\":\"" + trackingId
                + "\",\"unitUsageRecords\":[{\"unitType\":\"" + unit + "\",\"usageRecords\":[{\"recordDate\":\""
                + Instant.now().minus(Duration.ofHours(1)) + "\",\"amount\":2}]}]}";
    }

    static long meterstreamThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("meterstream-") && !n.startsWith("meterstream-in-memory-broker"))
                .count();
    }

    @Test
    @DisplayName("a published message is recorded once; the same message published again is acknowledged as a duplicate")
    void recordedOnce() {
        MeterstreamRuntime r = start(config(), new InMemoryIdempotencyStore());
        String m = message(tenant, sub.id, "trk-1", "api-calls");
        broker.publish("usage", m);
        broker.publish("usage", m);

        await().atMost(Duration.ofSeconds(10)).until(() -> counts(r).get("duplicates").equals(1L));
        assertThat(kb.usage.rows("trk-1")).hasSize(1);
        assertThat(counts(r)).containsEntry("received", 2L).containsEntry("recorded", 1L);
        assertThat(metrics.get("meterstream.usage.recorded")).hasValue(1);
        assertThat(r.health().healthy()).isTrue();
    }

    @Test
    @DisplayName("a message breaking a rule is dead-lettered with the rule's reason code; the next one goes through")
    void deadLettered() {
        MeterstreamRuntime r = start(config(), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-bad", "gigabytes"));
        broker.publish("usage", message(tenant, sub.id, "trk-good", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> broker.depth("usage.dlq") == 1 && kb.usage.rows("trk-good").size() == 1);
        Map<String, String> headers = broker.peek("usage.dlq").get(0).headers();
        assertThat(headers).containsEntry(DeadLetterEnvelope.REASON_CODE, "UNIT_NOT_IN_PLAN")
                .containsEntry(DeadLetterEnvelope.TENANT, tenant.toString())
                .containsEntry(DeadLetterEnvelope.TRACKING_ID, "trk-bad");
        assertThat(counts(r)).containsEntry("deadLettered", 1L);
        assertThat(metrics.get("meterstream.usage.dead_lettered.UNIT_NOT_IN_PLAN")).hasValue(1);
    }

    @Test
    @DisplayName("a message naming its tenant by api key and refused by a Kill Bill rule carries the resolved tenant id in its envelope")
    void apiKeyEnvelopeCarriesTheResolvedTenantId() {
        start(config(), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-key-bad", "gigabytes")
                .replace("\"tenantId\":\"" + tenant + "\"", "\"apiKey\":\"key-t\""));

        await().atMost(Duration.ofSeconds(10)).until(() -> broker.depth("usage.dlq") == 1);
        assertThat(broker.peek("usage.dlq").get(0).headers()).containsEntry(DeadLetterEnvelope.REASON_CODE, "UNIT_NOT_IN_PLAN")
                .containsEntry(DeadLetterEnvelope.TENANT, tenant.toString());
    }

    @Test
    @DisplayName("every dead-lettered message is copied to the rejections table under the tenant id Kill Bill resolved;"
            + " a tenant Kill Bill does not know is stored as unknown:<raw>")
    void deadLettersLandInTheRejectionsTable() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:rejections-" + SEQ.incrementAndGet() + ";MODE=MySQL;DB_CLOSE_DELAY=-1");
        JdbcDeadLetterStore table = new JdbcDeadLetterStore(ds, "meterstream_rejected_usage", Clock.systemUTC(), 16_384, 10_000);
        table.createTableIfAbsent();
        MeterstreamRuntime r = start(config(), new InMemoryIdempotencyStore(), table, t -> MeterstreamTenantRules.defaults(),
                new InMemoryBrokerSourceFactory());
        String byKey = message(tenant, sub.id, "trk-key-bad", "gigabytes").replace("\"tenantId\":\"" + tenant + "\"", "\"apiKey\":\"key-t\"");
        broker.publish("usage", byKey);
        broker.publish("usage", message(tenant, sub.id, "trk-nobody", "api-calls").replace(tenant.toString(), "not-a-tenant"));

        await().atMost(Duration.ofSeconds(10)).until(() -> table.list(RejectionQuery.all()).size() == 2);
        List<StoredRejection> mine = table.list(RejectionQuery.all().forTenant(tenant.toString()));
        assertThat(mine).singleElement().satisfies(row -> {
            assertThat(row.reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
            assertThat(row.trackingId()).isEqualTo("trk-key-bad");
            assertThat(row.subject()).isEqualTo(sub.id.toString());
            assertThat(row.source()).isEqualTo("usage");
        });
        assertThat(table.find(mine.get(0).id()).orElseThrow().payload()).isEqualTo(byKey.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(table.list(RejectionQuery.all().forTenant("unknown:not-a-tenant"))).singleElement()
                .satisfies(row -> assertThat(row.reasonCode()).isEqualTo("INVALID_MESSAGE"));
        assertThat(r.rejections()).isNotNull();
    }

    @Test
    @DisplayName("a source bound to one tenant dead-letters another tenant's usage as TENANT_NOT_ALLOWED")
    void tenantBinding() {
        start(config("sources.usage.tenants", tenant.toString()), new InMemoryIdempotencyStore());
        broker.publish("usage", message(otherTenant, otherSub.id, "trk-o", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> broker.depth("usage.dlq") == 1);
        assertThat(broker.peek("usage.dlq").get(0).headers()).containsEntry(DeadLetterEnvelope.REASON_CODE, "TENANT_NOT_ALLOWED");
        assertThat(kb.usage.rows).isEmpty();
    }

    @Test
    @DisplayName("two nodes sharing the JDBC idempotency store record a tracking id delivered to both at once exactly once")
    void twoNodesSharedStore() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:race-" + SEQ.incrementAndGet() + ";MODE=MySQL;DB_CLOSE_DELAY=-1");
        JdbcIdempotencyStore nodeA = new JdbcIdempotencyStore(ds, "meterstream_idempotency", Clock.systemUTC(), "node-a");
        JdbcIdempotencyStore nodeB = new JdbcIdempotencyStore(ds, "meterstream_idempotency", Clock.systemUTC(), "node-b");
        nodeA.createTableIfAbsent();
        kb.usage.raceWindow = new CyclicBarrier(2);
        kb.usage.raceWindowMillis = 500;
        start(config(), nodeA);
        start(config("sources.usage.queue", "usage-b"), nodeB);

        String m = message(tenant, sub.id, "trk-race", "api-calls");
        broker.publish("usage", m);
        broker.publish("usage-b", m);

        await().atMost(Duration.ofSeconds(15)).until(() -> broker.depth("usage") == 0 && broker.depth("usage-b") == 0
                && runtimes.stream().allMatch(r -> counts(r).get("inFlight").equals(0L)));
        assertThat(kb.usage.rows("trk-race")).hasSize(1);
        assertThat(kb.usage.calls).hasValue(1);
    }

    @Test
    @DisplayName("one usage sent by subscription id and by external key at once reaches Kill Bill once")
    void subscriptionIdAndExternalKeyAreOneMessage() {
        // Kill Bill's own check would let both copies insert if both reached it at the same moment
        kb.usage.raceWindow = new CyclicBarrier(2);
        kb.usage.raceWindowMillis = 500;
        MeterstreamRuntime r = start(config(), new InMemoryIdempotencyStore());

        String byId = message(tenant, sub.id, "trk-both", "api-calls");
        broker.publish("usage", byId);
        broker.publish("usage", byId.replace("\"subscriptionId\":\"" + sub.id + "\"", "\"subscriptionExternalKey\":\"sub-1\""));

        await().atMost(Duration.ofSeconds(15)).until(() -> broker.depth("usage") == 0 && counts(r).get("inFlight") == 0L
                && counts(r).get("recorded") + counts(r).get("duplicates") == 2);
        assertThat(kb.usage.rows("trk-both")).hasSize(1);
        assertThat(kb.usage.calls).hasValue(1);
        assertThat(counts(r)).containsEntry("recorded", 1L).containsEntry("duplicates", 1L).containsEntry("deadLettered", 0L);
    }

    @Test
    @DisplayName("with the JDBC store, keys completed longer ago than idempotency.retention are purged in the background until stop")
    void purgesTheIdempotencyTable() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:purge-runtime-" + SEQ.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
        Clock fortyDaysAgo = Clock.offset(Clock.systemUTC(), Duration.ofDays(-40));
        JdbcIdempotencyStore past = new JdbcIdempotencyStore(ds, "meterstream_idempotency", fortyDaysAgo, "node-old");
        past.createTableIfAbsent();
        io.github.meterstream.core.idempotency.IdempotencyKey old = io.github.meterstream.core.idempotency.IdempotencyKey.of(
                tenant.toString(), "id:" + sub.id, "trk-old");
        past.complete(old, past.claim(old, "f", Duration.ofMinutes(5)).claimToken());
        long before = meterstreamThreads();

        MeterstreamRuntime r = start(config("idempotency.purge-interval", "20ms"),
                new JdbcIdempotencyStore(ds, "meterstream_idempotency", Clock.systemUTC(), "node-a"));
        broker.publish("usage", message(tenant, sub.id, "trk-new", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-new").size() == 1 && rows(ds) == 1);
        r.stop();
        await().atMost(Duration.ofSeconds(5)).until(() -> meterstreamThreads() == before);
        assertThat(rows(ds)).as("the recent key stays").isEqualTo(1);
    }

    static int rows(JdbcDataSource ds) throws java.sql.SQLException {
        try (java.sql.Connection c = ds.getConnection(); java.sql.ResultSet rs = c.createStatement()
                .executeQuery("SELECT COUNT(*) FROM meterstream_idempotency")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    @DisplayName("without a shared store, two concurrent calls with one tracking id both pass Kill Bill's check (why the JDBC store is required)")
    void twoNodesWithoutSharedStore() {
        kb.usage.raceWindow = new CyclicBarrier(2);
        start(config(), new InMemoryIdempotencyStore());
        start(config("sources.usage.queue", "usage-b"), new InMemoryIdempotencyStore());

        String m = message(tenant, sub.id, "trk-race", "api-calls");
        broker.publish("usage", m);
        broker.publish("usage-b", m);

        await().atMost(Duration.ofSeconds(15)).until(() -> kb.usage.calls.get() == 2 && kb.usage.rows("trk-race").size() == 2);
    }

    @Test
    @DisplayName("while Kill Bill's database fails, consumption pauses and the healthcheck says why; then usage is recorded, nothing lost")
    void databaseDown() {
        for (int i = 0; i < 6; i++) {
            kb.usage.failNext.add(() -> new RuntimeException("DBI", new SQLTransientConnectionException("Connection refused")));
        }
        MeterstreamRuntime r = start(config("health.max-paused", "0s"), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-db", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> !r.health().healthy());
        assertThat(r.health().message()).contains("circuit open").contains("Connection refused");
        await().atMost(Duration.ofSeconds(20)).until(() -> kb.usage.rows("trk-db").size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> r.health().healthy());
        assertThat(source(r, "usage").get("lastError")).as("cleared once the message was recorded").isNull();
        assertThat(counts(r).get("retried")).isGreaterThanOrEqualTo(6L);
        assertThat(counts(r)).containsEntry("deadLettered", 0L);
    }

    @Test
    @DisplayName("an unknown source type starts no thread for it; the healthcheck names the key and the known types")
    void unknownType() {
        long before = meterstreamThreads();
        MeterstreamRuntime r = start(config("sources.usage.type", "kafkaa"), new InMemoryIdempotencyStore());
        assertThat(r.health().healthy()).isFalse();
        assertThat(r.health().message()).contains(P + "sources.usage.type").contains("kafkaa").contains("in-memory");
        assertThat(meterstreamThreads()).isEqualTo(before);
    }

    @Test
    @DisplayName("a source whose start throws an Error (a class missing in the container) is reported with the Kill Bill property that fixes it; the other source runs")
    void sourceStartLinkageError() {
        io.github.meterstream.core.source.BrokerSourceFactory broken = new io.github.meterstream.core.source.BrokerSourceFactory() {
            @Override
            public String type() {
                return "broken";
            }

            @Override
            public java.util.List<io.github.meterstream.core.config.ConfigKey<?>> configKeys() {
                return java.util.List.of();
            }

            @Override
            public io.github.meterstream.core.source.BrokerSource create(String name, io.github.meterstream.core.config.ConfigValues values) {
                return (io.github.meterstream.core.source.BrokerSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {io.github.meterstream.core.source.BrokerSource.class}, (proxy, method, args) -> {
                            switch (method.getName()) {
                                case "name":
                                    return name;
                                case "start":
                                    throw new NoClassDefFoundError("javax/security/sasl/SaslException");
                                case "health":
                                    return io.github.meterstream.core.source.SourceHealth.of(
                                            io.github.meterstream.core.source.SourceHealth.State.NOT_STARTED, "", Instant.now());
                                case "hashCode":
                                    return System.identityHashCode(proxy);
                                case "equals":
                                    return proxy == args[0];
                                case "toString":
                                    return "broken source " + name;
                                default:
                                    return null;
                            }
                        });
            }
        };
        Properties p = config("sources.kafka.type", "broken");

        MeterstreamRuntime r = start(p, new InMemoryIdempotencyStore(), broken, new InMemoryBrokerSourceFactory());
        broker.publish("usage", message(tenant, sub.id, "trk-beside", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-beside").size() == 1);
        assertThat(r.health().healthy()).isFalse();
        assertThat(r.health().message()).contains("kafka").contains("NoClassDefFoundError").contains("SaslException")
                .contains(SourceStartFailure.EXTRA_EXPORTS_PROPERTY + "=" + SourceStartFailure.EXTRA_EXPORTS);
        Map<String, Object> kafka = source(r, "kafka");
        assertThat(kafka).containsEntry("state", "FAILED_TO_START").containsEntry("health", "DEGRADED");
        assertThat(((Map<?, ?>) kafka.get("lastError")).get("message").toString()).contains(SourceStartFailure.EXTRA_EXPORTS_PROPERTY);
    }

    @Test
    @DisplayName("a missing adapter key keeps the source from starting; the healthcheck names the key")
    void missingKey() {
        Properties p = config();
        p.remove(P + "sources.usage.queue");
        MeterstreamRuntime r = start(p, new InMemoryIdempotencyStore());
        assertThat(r.health().message()).contains(P + "sources.usage.queue");
    }

    @Test
    @DisplayName("a typo in a key fails the configuration naming the key")
    void typo() {
        Properties p = config("sources.usage.pipeline.concurency", "4");
        MeterstreamRuntime r = start(p, new InMemoryIdempotencyStore());
        assertThat(r.health().message()).contains(P + "sources.usage.pipeline.concurency");
    }

    @Test
    @DisplayName("start, stop, start again: no meterstream thread outlives its stop")
    void restartInPlace() {
        long before = meterstreamThreads();
        MeterstreamRuntime first = start(config("sources.usage.pipeline.concurrency", "3"), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-a", "api-calls"));
        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-a").size() == 1);
        assertThat(meterstreamThreads()).isGreaterThan(before);
        first.stop();
        await().atMost(Duration.ofSeconds(5)).until(() -> meterstreamThreads() == before);

        MeterstreamRuntime second = start(config("sources.usage.pipeline.concurrency", "3"), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-b", "api-calls"));
        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-b").size() == 1);
        second.stop();
        await().atMost(Duration.ofSeconds(5)).until(() -> meterstreamThreads() == before);
        assertThat(first.health().healthy()).isFalse();
    }

    @Test
    @DisplayName("the status page shows per-source counters, and a tenant's view only that tenant's")
    void status() {
        MeterstreamRuntime r = start(config(), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-t1", "api-calls"));
        broker.publish("usage", message(tenant, sub.id, "trk-t2", "api-calls"));
        broker.publish("usage", message(otherTenant, otherSub.id, "trk-o1", "api-calls"));
        broker.publish("usage", message(tenant, sub.id, "trk-t3", "api-calls").replace("\"tenantId\":\"" + tenant + "\"", "\"apiKey\":\"key-t\""));
        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows.size() == 4);

        Map<String, Object> all = r.status(null);
        assertThat(all).containsEntry("healthy", true);
        @SuppressWarnings("unchecked") Map<String, Object> usage = (Map<String, Object>) ((Map<String, Object>) all.get("sources")).get("usage");
        assertThat(usage.get("counts").toString()).contains("recorded=4");
        assertThat(usage.get("state")).isEqualTo("RUNNING");
        assertThat(usage.get("lag")).isEqualTo(0L);

        Map<String, Object> mine = r.status(tenant.toString());
        @SuppressWarnings("unchecked") Map<String, Object> myUsage = (Map<String, Object>) ((Map<String, Object>) mine.get("sources")).get("usage");
        assertThat(myUsage.get("counts").toString()).contains("recorded=3"); // by id and by api key
        assertThat(myUsage).doesNotContainKeys("lastError", "tenants");
        assertThat(mine.toString()).doesNotContain(otherTenant.toString());
    }

    @Test
    @DisplayName("a message held in the pipeline longer than health.max-unsettled turns the source DEGRADED, naming the bound")
    void stuckSettlement() {
        String reason = "its plugin configuration is invalid: late-usage-policy: must be one of reject, accept";
        TenantRulesSource rules = new TenantRulesSource() {
            @Override
            public MeterstreamTenantRules rulesFor(UUID t) {
                return t.equals(tenant) ? MeterstreamTenantRules.held(reason) : MeterstreamTenantRules.defaults();
            }

            @Override
            public Map<UUID, String> problems() {
                return Map.of(tenant, reason);
            }
        };
        // kept in the pipeline (a hand-back to the broker is a new delivery, whose unsettled time starts again)
        MeterstreamRuntime r = start(config("sources.usage.pipeline.circuit.failure-threshold", "1000",
                "sources.usage.pipeline.retry.in-process-attempts", "100000", "health.max-unsettled", "1s"),
                new InMemoryIdempotencyStore(), rules, new InMemoryBrokerSourceFactory());
        broker.publish("usage", message(tenant, sub.id, "trk-stuck", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> "DEGRADED".equals(source(r, "usage").get("health")));
        Map<String, Object> usage = source(r, "usage");
        assertThat(usage.get("healthReason").toString()).contains(P + "health.max-unsettled=PT1S");
        assertThat(usage.get("oldestUnsettledSince")).isNotNull();
        assertThat(counts(r).get("inFlight") + counts(r).get("heldForRetry")).isEqualTo(1L);
        assertThat(gauge("meterstream.usage.oldest_unsettled_age_seconds")).isGreaterThanOrEqualTo(1L);
        assertThat(gauge("meterstream.usage.healthy")).isZero();
    }

    @Test
    @DisplayName("a tenant whose configuration cannot be used is held and listed in the status; other tenants go on")
    void heldTenantInStatus() {
        String reason = "its plugin configuration is invalid: late-usage-policy: must be one of reject, accept";
        TenantRulesSource rules = new TenantRulesSource() {
            @Override
            public MeterstreamTenantRules rulesFor(UUID t) {
                return t.equals(tenant) ? MeterstreamTenantRules.held(reason) : MeterstreamTenantRules.defaults();
            }

            @Override
            public Map<UUID, String> problems() {
                return Map.of(tenant, reason);
            }
        };
        MeterstreamRuntime r = start(config("sources.usage.pipeline.circuit.failure-threshold", "1000"),
                new InMemoryIdempotencyStore(), rules, new InMemoryBrokerSourceFactory());
        broker.publish("usage", message(tenant, sub.id, "trk-held", "api-calls"));
        broker.publish("usage", message(otherTenant, otherSub.id, "trk-other", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-other").size() == 1 && counts(r).get("retried") >= 2);
        assertThat(kb.usage.rows("trk-held")).isEmpty();
        assertThat(counts(r).get("deadLettered")).isZero();
        assertThat(r.status(null).get("heldTenants").toString()).contains(tenant.toString()).contains("late-usage-policy");
        assertThat(r.status(otherTenant.toString()).get("heldTenants").toString()).doesNotContain(tenant.toString());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> source(MeterstreamRuntime r, String name) {
        return (Map<String, Object>) ((Map<String, Object>) r.status(null).get("sources")).get(name);
    }

    long gauge(String name) {
        java.util.function.Supplier<? extends Number> g = gauges.get(name);
        return g == null ? Long.MIN_VALUE : g.get().longValue();
    }

    @Test
    @DisplayName("one source with a wrong configuration is reported FAILED_TO_START with its key while the other records usage")
    void oneBadSourceDoesNotStopTheOthers() {
        MeterstreamRuntime r = start(config("sources.bad.type", "kafkaa"), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-good", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-good").size() == 1);
        HealthReport health = r.health();
        assertThat(health.healthy()).isFalse();
        assertThat(health.failsKillbillHealthcheck()).isFalse();
        assertThat(health.message()).contains(P + "sources.bad.type").contains("kafkaa");
        assertThat(health.details().get("usage").toString()).startsWith("HEALTHY");
        assertThat(health.details().get("bad").toString()).startsWith("DEGRADED: could not start: " + P + "sources.bad.type");
        Map<String, Object> bad = source(r, "bad");
        assertThat(bad).containsEntry("state", "FAILED_TO_START").containsEntry("health", "DEGRADED")
                .containsEntry("failsKillbillHealthcheck", false);
        Map<?, ?> lastError = (Map<?, ?>) bad.get("lastError");
        assertThat(lastError.get("message").toString()).contains(P + "sources.bad.type");
        assertThat(lastError.get("at")).isNotNull();
        assertThat(source(r, "usage")).containsEntry("health", "HEALTHY").containsEntry("state", "RUNNING");

        org.killbill.billing.osgi.api.Healthcheck.HealthStatus killbill =
                new io.github.meterstream.killbill.MeterstreamHealthcheck(r::health).getHealthStatus(null, Map.of());
        assertThat(killbill.isHealthy()).as("Kill Bill's own healthcheck, by default").isTrue();
        assertThat(killbill.getDetails()).containsEntry("status", "DEGRADED");
        assertThat(killbill.getDetails().get("bad").toString()).contains(P + "sources.bad.type");
    }

    @Test
    @DisplayName("a degraded source with health.fail-killbill-healthcheck=true fails Kill Bill's healthcheck")
    void optInFailsKillbillHealthcheck() {
        MeterstreamRuntime r = start(config("sources.bad.type", "kafkaa", "sources.bad.health.fail-killbill-healthcheck", "true"),
                new InMemoryIdempotencyStore());

        assertThat(r.health().failsKillbillHealthcheck()).isTrue();
        assertThat(new io.github.meterstream.killbill.MeterstreamHealthcheck(r::health).getHealthStatus(null, Map.of()).isHealthy())
                .isFalse();
        assertThat(r.status(null)).containsEntry("failsKillbillHealthcheck", true);
    }

    @Test
    @DisplayName("no source at all is a plugin-wide error: nothing starts, and status and healthcheck name the key")
    void noSource() {
        Properties p = new Properties();
        p.setProperty(P + "stop-timeout", "2s");
        MeterstreamRuntime r = start(p, new InMemoryIdempotencyStore());
        assertThat(r.health().healthy()).isFalse();
        assertThat(r.health().failsKillbillHealthcheck()).isFalse();
        assertThat(r.status(null).get("startupError").toString()).contains(P + "sources.<name>.type");
        assertThat((Map<?, ?>) r.status(null).get("sources")).isEmpty();
    }

    @Test
    @DisplayName("a source pointed at a closed port is degraded within health.max-connecting, naming the bound, while the other records")
    void neverConnected() {
        MeterstreamRuntime r = start(config("sources.bad.type", "rabbitmq", "sources.bad.host", "127.0.0.1", "sources.bad.port", "1",
                "sources.bad.queue", "nowhere", "sources.bad.reconnect-delay", "200ms", "health.max-connecting", "1s"),
                new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-next-door", "api-calls"));

        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-next-door").size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> "DEGRADED".equals(source(r, "bad").get("health")));
        assertThat(source(r, "bad").get("healthReason").toString()).contains(P + "health.max-connecting=PT1S")
                .contains(P + "sources.bad.");
        assertThat(source(r, "bad")).containsEntry("connection", "CONNECTING");
        assertThat(source(r, "bad").get("lag")).isEqualTo("unknown");
        assertThat(source(r, "usage")).containsEntry("health", "HEALTHY");
        assertThat(gauge("meterstream.bad.healthy")).isZero();
        assertThat(gauge("meterstream.usage.healthy")).isEqualTo(1);
    }

    @Test
    @DisplayName("the gauges an operator alerts on follow the source, and are removed on stop")
    void gaugesForAlerts() {
        MeterstreamRuntime r = start(config(), new InMemoryIdempotencyStore());
        broker.publish("usage", message(tenant, sub.id, "trk-g", "api-calls"));
        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-g").size() == 1 && gauge("meterstream.usage.in_flight") == 0);

        assertThat(gauges).containsOnlyKeys("meterstream.usage.healthy", "meterstream.usage.lag", "meterstream.usage.in_flight",
                "meterstream.usage.held", "meterstream.usage.oldest_unsettled_age_seconds", "meterstream.usage.circuit_open");
        assertThat(gauge("meterstream.usage.healthy")).isEqualTo(1);
        assertThat(gauge("meterstream.usage.held")).isZero();
        assertThat(gauge("meterstream.usage.oldest_unsettled_age_seconds")).isZero();
        assertThat(gauge("meterstream.usage.circuit_open")).isZero();
        Object lag = source(r, "usage").get("lag");
        assertThat(gauge("meterstream.usage.lag")).isEqualTo(lag instanceof Number ? ((Number) lag).longValue() : -1L);
        r.stop();
        assertThat(gauges).isEmpty();
    }

    @Test
    @DisplayName("on RabbitMQ, received = recorded + duplicates + dead-lettered + in flight + held + released, and each tenant's dead letters include INVALID_MESSAGE")
    void countsAddUpOnRabbitMq() throws Exception {
        String queue = "meterstream-plugin-counts-" + SEQ.incrementAndGet() + "-" + System.nanoTime();
        Properties p = config("sources.usage.type", "rabbitmq", "sources.usage.host", "127.0.0.1", "sources.usage.queue", queue,
                "sources.usage.retry.delays", "200ms", "usage.max-records-per-message", "1");
        p.remove(P + "sources.usage.broker");
        kb.usage.failNext.add(() -> new RuntimeException("DBI", new SQLTransientConnectionException("Connection refused")));
        MeterstreamRuntime r = start(p, new InMemoryIdempotencyStore());
        await().atMost(Duration.ofSeconds(20)).until(() -> "CONNECTED".equals(source(r, "usage").get("connection")));

        com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
        f.setHost("127.0.0.1");
        try (com.rabbitmq.client.Connection c = f.newConnection(); com.rabbitmq.client.Channel ch = c.createChannel()) {
            java.util.function.Consumer<String> publish = body -> {
                try {
                    ch.basicPublish("", queue, null, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            String first = message(tenant, sub.id, "trk-c1", "api-calls");
            publish.accept(first);
            publish.accept(message(tenant, sub.id, "trk-c2", "api-calls"));
            publish.accept(first);
            publish.accept(message(tenant, sub.id, "trk-c3", "gigabytes"));
            await().atMost(Duration.ofSeconds(20)).until(() -> counts(r).get("recorded") == 2 && counts(r).get("deadLettered") == 1);
            // refused while being read (two records, the limit is one): the pipeline has no decoded tenant, the envelope has
            publish.accept(message(tenant, sub.id, "trk-c4", "api-calls").replace("\"amount\":2}]", "\"amount\":2},{\"recordDate\":\""
                    + Instant.now().minus(Duration.ofHours(2)) + "\",\"amount\":3}]"));
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> counts(r).get("deadLettered") == 2 && counts(r).get("duplicates") == 1
                && counts(r).get("inFlight") + counts(r).get("heldForRetry") + counts(r).get("waitingOnClaim") == 0);
        Map<String, Long> c = counts(r);
        assertThat(c.get("received")).isEqualTo(c.get("recorded") + c.get("duplicates") + c.get("deadLettered") + c.get("inFlight")
                + c.get("heldForRetry") + c.get("waitingOnClaim") + c.get("released"));
        assertThat(c).containsEntry("recorded", 2L).containsEntry("duplicates", 1L);
        @SuppressWarnings("unchecked") Map<String, Object> tenants = (Map<String, Object>) source(r, "usage").get("tenants");
        assertThat(tenants.get(tenant.toString()).toString()).contains("deadLettered=2").contains("recorded=2");
        assertThat(source(r, "usage").get("lastError")).isNotNull();
        assertThat(source(r, "usage")).containsEntry("health", "HEALTHY").containsEntry("oldestUnsettledSince", null);
    }

    @Test
    @DisplayName("docs/OPERATIONS.md lists every field /status emits, and /status emits every field it lists, in both views")
    void statusIsDocumentedFieldByField() throws java.io.IOException {
        String reason = "its plugin configuration is invalid: late-usage-policy: must be one of reject, accept";
        TenantRulesSource rules = new TenantRulesSource() {
            @Override
            public MeterstreamTenantRules rulesFor(UUID t) {
                return t.equals(tenant) ? MeterstreamTenantRules.held(reason) : MeterstreamTenantRules.defaults();
            }

            @Override
            public Map<UUID, String> problems() {
                return Map.of(tenant, reason);
            }
        };
        MeterstreamRuntime r = start(config("sources.bad.type", "kafkaa", "sources.usage.pipeline.circuit.failure-threshold", "1000"),
                new InMemoryIdempotencyStore(), rules, new InMemoryBrokerSourceFactory());
        broker.publish("usage", message(otherTenant, otherSub.id, "trk-doc-other", "api-calls"));
        broker.publish("usage", message(tenant, sub.id, "trk-doc-held", "api-calls"));
        await().atMost(Duration.ofSeconds(10)).until(() -> kb.usage.rows("trk-doc-other").size() == 1 && counts(r).get("retried") >= 1);

        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "OPERATIONS.md"));
        assertThat(fields("", r.status(null), new java.util.TreeSet<>())).as("operator view")
                .isEqualTo(documentedFields(doc, "### Without a tenant"));
        assertThat(fields("", r.status(tenant.toString()), new java.util.TreeSet<>())).as("tenant view")
                .isEqualTo(documentedFields(doc, "### With a tenant"));
    }

    /** Every field path of {@code value}, with source names and tenant ids written as the document writes them. */
    static java.util.Set<String> fields(String path, Object value, java.util.Set<String> out) {
        if (!path.isEmpty()) {
            out.add(path);
        }
        if (value instanceof Map) {
            ((Map<?, ?>) value).forEach((k, v) -> {
                String key = path.equals("sources") ? "<name>"
                        : path.equals("heldTenants") || path.endsWith(".tenants") ? "<tenantId>" : k.toString();
                fields(path.isEmpty() ? key : path + '.' + key, v, out);
            });
        }
        return out;
    }

    /** The first column of the field table under the heading that starts with {@code heading}. */
    static java.util.Set<String> documentedFields(String doc, String heading) {
        int start = doc.indexOf('\n' + heading);
        assertThat(start).as(heading).isNotNegative();
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String line : doc.substring(doc.indexOf('\n', start + 1) + 1).split("\n")) {
            if (line.startsWith("#")) {
                break;
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\| `([^`]+)` \\|").matcher(line);
            if (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Long> counts(MeterstreamRuntime r) {
        Map<String, Object> usage = (Map<String, Object>) ((Map<String, Object>) r.status(null).get("sources")).get("usage");
        Map<String, Object> c = (Map<String, Object>) usage.get("counts");
        Map<String, Long> out = new java.util.HashMap<>();
        c.forEach((k, v) -> out.put(k, ((Number) v).longValue()));
        return out;
    }
}
