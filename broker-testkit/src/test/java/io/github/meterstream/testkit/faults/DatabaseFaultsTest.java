package io.github.meterstream.testkit.faults;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Faults of the database that holds both the idempotency store and the downstream's own data, as
 * Kill Bill's database does: injected for real, by a {@link TcpFaultProxy} between the consumer
 * and the real server. The "downstream" here writes a ledger row per message with a check before
 * the insert, as Kill Bill does for tracking ids; each message must end up in it exactly once.
 */
abstract class DatabaseFaultsTest {

    private final InMemoryBroker broker = new InMemoryBroker();
    private final List<ConsumerPipeline<?>> pipelines = new ArrayList<>();
    private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final String storeTable = "ms_fault_idem_" + suffix;
    private final String ledgerTable = "ms_fault_ledger_" + suffix;
    private TcpFaultProxy proxy;

    /** The database reached through {@code port}: the server's own, or a proxy's. */
    protected abstract DataSource dataSource(int port);

    protected abstract int serverPort();

    protected abstract String serverHost();

    /** {@code postgresql} or {@code mariadb}, for {@link ClaimHoldingConsumer}. */
    protected abstract String kind();

    @BeforeEach
    void createTables() throws Exception {
        proxy = new TcpFaultProxy(serverHost(), serverPort());
        new JdbcIdempotencyStore(direct(), storeTable, Clock.systemUTC(), "setup").createTableIfAbsent();
        execute("CREATE TABLE " + ledgerTable + " (id VARCHAR(64) NOT NULL, amount INT NOT NULL)");
    }

    @AfterEach
    void dropTables() throws Exception {
        pipelines.forEach(p -> p.close(Duration.ofSeconds(5)));
        broker.close();
        proxy.close();
        execute("DROP TABLE IF EXISTS " + storeTable);
        execute("DROP TABLE IF EXISTS " + ledgerTable);
    }

    private DataSource direct() {
        return dataSource(serverPort());
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = direct().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private Map<String, Integer> ledger() throws SQLException {
        Map<String, Integer> rows = new HashMap<>();
        try (Connection c = direct().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, COUNT(*) FROM " + ledgerTable + " GROUP BY id")) {
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getInt(2));
            }
        }
        return rows;
    }

    /** Records the message in the ledger unless it is there already, like Kill Bill's tracking id check. */
    private MessageHandler.Outcome record(DataSource db, String id) throws SQLException {
        try (Connection c = db.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM " + ledgerTable + " WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        return MessageHandler.Outcome.ALREADY_PROCESSED;
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + ledgerTable + " (id, amount) VALUES (?, 1)")) {
                s.setString(1, id);
                s.executeUpdate();
            }
            return MessageHandler.Outcome.PROCESSED;
        }
    }

    private ConsumerPipeline<String> pipeline(String queue, JdbcIdempotencyStore store,
                                                                 MessageHandler<String> handler,
                                                                 PipelineConfig config) {
        ConsumerPipeline<String> p = ConsumerPipeline.builder(new IdPayloadContract())
                .source(new InMemoryBrokerSource(queue, broker, queue))
                .idempotencyStore(store).handler(handler).config(config).build();
        pipelines.add(p);
        return p;
    }

    @Test
    @DisplayName("a database outage while handlers are mid-call, with the default settings: each message is recorded once"
            + " and consumption resumes by itself")
    void outageWhileHandlersAreMidCall() throws Exception {
        DataSource viaProxy = dataSource(proxy.port());
        JdbcIdempotencyStore store = new JdbcIdempotencyStore(viaProxy, storeTable, Clock.systemUTC(), "node-a");
        int messages = 4;
        CountDownLatch inside = new CountDownLatch(messages);
        CountDownLatch gate = new CountDownLatch(1);
        ConsumerPipeline<String> p = pipeline("usage", store, (m, ctx) -> {
            inside.countDown();
            gate.await();
            try {
                return record(viaProxy, m);
            } catch (SQLException e) {
                throw new TransientFailure("database unavailable", e);
            }
        }, PipelineConfig.defaults());
        for (int i = 0; i < messages; i++) {
            broker.publish("usage", "m" + i);
        }
        p.start();
        assertThat(inside.await(30, TimeUnit.SECONDS)).as("every handler holds its claim, mid-call").isTrue();

        proxy.cut(); // the database restarts: every connection reset, new ones refused
        gate.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> p.state() == ConsumerPipeline.State.CIRCUIT_OPEN);
        Thread.sleep(3_000); // the outage lasts: probes fail meanwhile
        proxy.heal();

        await().atMost(Duration.ofSeconds(60)).until(() -> ledger().size() == messages);
        assertThat(ledger().values()).allMatch(n -> n == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> p.state() == ConsumerPipeline.State.RUNNING
                && p.stats().oldestUnsettledSince() == null);
        assertThat(broker.depth("usage.dlq")).isZero();
    }

    @Test
    @DisplayName("a handler slower than the lease keeps its claim: another node never runs the same message beside it")
    void slowHandlerKeepsItsClaim() throws Exception {
        PipelineConfig config = PipelineConfig.builder().idempotencyLease(Duration.ofSeconds(2)).build();
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        CountDownLatch firstInside = new CountDownLatch(1);
        MessageHandler<String> slow = (m, ctx) -> {
            calls.computeIfAbsent(m, k -> new AtomicInteger()).incrementAndGet();
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                firstInside.countDown();
                Thread.sleep(6_000); // three leases: a lock wait in the downstream, a long GC pause
                return record(direct(), m);
            } finally {
                running.decrementAndGet();
            }
        };
        ConsumerPipeline<String> a = pipeline("node-a", new JdbcIdempotencyStore(direct(), storeTable,
                Clock.systemUTC(), "node-a"), slow, config);
        ConsumerPipeline<String> b = pipeline("node-b", new JdbcIdempotencyStore(direct(), storeTable,
                Clock.systemUTC(), "node-b"), slow, config);
        String payload = "slow-1";
        broker.publish("node-a", payload);
        a.start();
        assertThat(firstInside.await(30, TimeUnit.SECONDS)).isTrue();
        broker.publish("node-b", payload); // the same message redelivered to the other node
        b.start();

        await().atMost(Duration.ofSeconds(60)).until(() -> a.stats().processed() + a.stats().duplicates()
                + b.stats().processed() + b.stats().duplicates() == 2);
        assertThat(calls.get("slow-1")).hasValue(1);
        assertThat(mostAtOnce).hasValue(1);
        assertThat(ledger()).containsEntry("slow-1", 1);
    }

    @Test
    @DisplayName("a consumer killed with SIGKILL mid-call: restarted under the same node id it takes its claims back at once,"
            + " while another node waits for their lease")
    void killedConsumerRestartedUnderSameNodeId() throws Exception {
        int messages = 3;
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ClaimHoldingConsumer.class.getName(),
                kind(), Integer.toString(serverPort()), storeTable, "node-a", Integer.toString(messages))
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            Set<String> holding = new HashSet<>();
            String line;
            while (holding.size() < messages && (line = out.readLine()) != null) {
                if (line.startsWith("HOLDING ")) {
                    holding.add(line.substring("HOLDING ".length()));
                }
            }
            assertThat(holding).hasSize(messages);
        } finally {
            child.destroyForcibly(); // SIGKILL: no release, no abandon, no shutdown hook
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(child.exitValue()).isEqualTo(137); // 128 + SIGKILL

        // The broker redelivers the unacknowledged messages: first to another node, which must wait...
        ConsumerPipeline<String> other = pipeline("node-b", new JdbcIdempotencyStore(direct(), storeTable,
                Clock.systemUTC(), "node-b"), (m, ctx) -> record(direct(), m), PipelineConfig.defaults());
        for (int i = 0; i < messages; i++) {
            broker.publish("node-b", "m" + i);
        }
        other.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> other.stats().retried() >= messages);
        assertThat(ledger()).as("the dead node's claims are live for another node until their lease ends").isEmpty();

        // ...then to the restarted node-a, which knows they are its own dead claims.
        ConsumerPipeline<String> restarted = pipeline("node-a", new JdbcIdempotencyStore(direct(), storeTable,
                Clock.systemUTC(), "node-a"), (m, ctx) -> record(direct(), m), PipelineConfig.defaults());
        for (int i = 0; i < messages; i++) {
            broker.publish("node-a", "m" + i);
        }
        restarted.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> restarted.stats().processed() == messages);
        assertThat(ledger()).hasSize(messages).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
        assertThat(PipelineConfig.DEFAULT_IDEMPOTENCY_LEASE).isGreaterThan(Duration.ofSeconds(20));
    }
}
