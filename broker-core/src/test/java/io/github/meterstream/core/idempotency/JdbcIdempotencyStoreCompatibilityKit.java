package io.github.meterstream.core.idempotency;

import io.github.meterstream.core.failure.TransientFailure;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static io.github.meterstream.core.idempotency.ClaimResult.Status.CLAIMED;
import static io.github.meterstream.core.idempotency.ClaimResult.Status.CONFLICT;
import static io.github.meterstream.core.idempotency.ClaimResult.Status.DUPLICATE;
import static io.github.meterstream.core.idempotency.ClaimResult.Status.IN_PROGRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What {@link JdbcIdempotencyStore} must do on every database it supports, with the semantics of
 * {@link InMemoryIdempotencyStore}. A database joins by extending this class with its two data
 * sources. Each test class works in its own table, created through {@code createTableIfAbsent()}
 * and dropped at the end; time moves by a {@link MutableClock}, never by sleeping.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class JdbcIdempotencyStoreCompatibilityKit {

    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Instant START = Instant.parse("2026-01-15T10:00:00Z");
    private static final int THREADS = 16;
    private static final int KEYS = 200;

    /** A data source of the database under test; the store takes one connection per operation from it. */
    protected abstract DataSource dataSource();

    /** A data source of the same kind whose server does not answer (nothing listens on its port). */
    protected abstract DataSource unreachableDataSource();

    private final String table = "ms_idem_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private MutableClock clock;
    private JdbcIdempotencyStore store;

    @BeforeAll
    void createTable() {
        new JdbcIdempotencyStore(dataSource(), table, new MutableClock(START), "kit").createTableIfAbsent();
    }

    @AfterAll
    void dropTable() throws SQLException {
        execute("DROP TABLE IF EXISTS " + table);
    }

    @BeforeEach
    void emptyTable() throws SQLException {
        execute("DELETE FROM " + table);
        clock = new MutableClock(START);
        store = newStore("node-a");
    }

    private JdbcIdempotencyStore newStore(String node) {
        return new JdbcIdempotencyStore(dataSource(), table, clock, node);
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static IdempotencyKey key(String id) {
        return IdempotencyKey.of("tenant-1", "subscription-1", id);
    }

    @Test
    @DisplayName("creating the table again when it exists changes nothing")
    void createTableIsIdempotent() {
        String token = store.claim(key("t-1"), "fp", LEASE).claimToken();
        store.complete(key("t-1"), token);

        store.createTableIfAbsent();

        assertThat(store.claim(key("t-1"), "fp", LEASE).status()).isEqualTo(DUPLICATE);
    }

    @Test
    @DisplayName("a new key is claimed, and is a duplicate once completed")
    void claimThenCompleteThenDuplicate() {
        ClaimResult first = store.claim(key("t-1"), "fp", LEASE);
        assertThat(first.status()).isEqualTo(CLAIMED);
        assertThat(first.claimToken()).isNotBlank();

        store.complete(key("t-1"), first.claimToken());

        assertThat(store.claim(key("t-1"), "fp", LEASE).status()).isEqualTo(DUPLICATE);
    }

    @Test
    @DisplayName("a key reused for other content is a conflict naming the stored fingerprint")
    void conflictOnOtherFingerprint() {
        String token = store.claim(key("t-1"), "fp-original", LEASE).claimToken();

        ClaimResult whileClaimed = store.claim(key("t-1"), "fp-other", LEASE);
        store.complete(key("t-1"), token);
        ClaimResult whenCompleted = store.claim(key("t-1"), "fp-other", LEASE);

        assertThat(whileClaimed.status()).isEqualTo(CONFLICT);
        assertThat(whileClaimed.existingFingerprint()).isEqualTo("fp-original");
        assertThat(whenCompleted.status()).isEqualTo(CONFLICT);
        assertThat(whenCompleted.existingFingerprint()).isEqualTo("fp-original");
    }

    @Test
    @DisplayName("keys differing only in namespace, scope, id or letter case are different keys")
    void keysArePreciseAndCaseSensitive() {
        store.claim(IdempotencyKey.of("t", "s", "id"), "fp", LEASE);

        assertThat(store.claim(IdempotencyKey.of("t2", "s", "id"), "fp", LEASE).status()).isEqualTo(CLAIMED);
        assertThat(store.claim(IdempotencyKey.of("t", "s2", "id"), "fp", LEASE).status()).isEqualTo(CLAIMED);
        assertThat(store.claim(IdempotencyKey.of("t", "s", "ID"), "fp", LEASE).status()).isEqualTo(CLAIMED);
    }

    @Test
    @DisplayName("keys and fingerprints of the full 128 characters, unicode included, are stored")
    void fullWidthUnicodeKeys() {
        String wide = "é".repeat(64) + "日".repeat(64);
        IdempotencyKey k = IdempotencyKey.of(wide, wide, wide);
        String token = store.claim(k, wide, LEASE).claimToken();
        store.complete(k, token);

        assertThat(store.claim(k, wide, LEASE).status()).isEqualTo(DUPLICATE);
    }

    @Test
    @DisplayName("a released key can be claimed again, even with another fingerprint")
    void releaseThenReclaim() {
        String token = store.claim(key("t-1"), "fp", LEASE).claimToken();

        store.release(key("t-1"), token);
        ClaimResult again = store.claim(key("t-1"), "fp-corrected", LEASE);

        assertThat(again.status()).isEqualTo(CLAIMED);
        assertThat(again.claimToken()).isNotEqualTo(token);
    }

    @Test
    @DisplayName("a release after completion is ignored: the key stays a duplicate")
    void releaseAfterCompleteIgnored() {
        String token = store.claim(key("t-1"), "fp", LEASE).claimToken();
        store.complete(key("t-1"), token);

        store.release(key("t-1"), token);

        assertThat(store.claim(key("t-1"), "fp", LEASE).status()).isEqualTo(DUPLICATE);
    }

    @Test
    @DisplayName("purging forgets keys completed before the cutoff, never a claim in progress")
    void purgeCompletedBefore() {
        store.complete(key("old"), store.claim(key("old"), "fp", LEASE).claimToken());
        store.claim(key("old-but-claimed"), "fp", Duration.ofDays(1));
        clock.advance(Duration.ofHours(1));
        store.complete(key("recent"), store.claim(key("recent"), "fp", LEASE).claimToken());

        int purged = store.purgeCompletedBefore(START.plus(Duration.ofMinutes(30)));

        assertThat(purged).isEqualTo(1);
        assertThat(store.claim(key("old"), "fp", LEASE).status()).isEqualTo(CLAIMED);
        assertThat(store.claim(key("old-but-claimed"), "fp", LEASE).status()).isEqualTo(IN_PROGRESS);
        assertThat(store.claim(key("recent"), "fp", LEASE).status()).isEqualTo(DUPLICATE);
    }

    @Test
    @DisplayName("another node's live claim is in progress")
    void liveClaimIsInProgress() {
        store.claim(key("t-1"), "fp", LEASE);
        clock.advance(LEASE.minusMillis(1));

        assertThat(newStore("node-b").claim(key("t-1"), "fp", LEASE).status()).isEqualTo(IN_PROGRESS);
    }

    @Test
    @DisplayName("an expired claim is taken over by another node, and the old holder's complete and release are ignored")
    void expiredLeaseIsTakenOverAndOldTokenIsStale() {
        JdbcIdempotencyStore nodeB = newStore("node-b");
        String staleToken = store.claim(key("t-1"), "fp", LEASE).claimToken();
        clock.advance(LEASE);

        ClaimResult takeover = nodeB.claim(key("t-1"), "fp", LEASE);
        store.complete(key("t-1"), staleToken);
        store.release(key("t-1"), staleToken);

        assertThat(takeover.status()).isEqualTo(CLAIMED);
        assertThat(takeover.claimToken()).isNotEqualTo(staleToken);
        assertThat(store.claim(key("t-1"), "fp", LEASE).status())
                .as("the stale complete and release changed nothing: node b still holds the claim")
                .isEqualTo(IN_PROGRESS);

        nodeB.complete(key("t-1"), takeover.claimToken());
        assertThat(store.claim(key("t-1"), "fp", LEASE).status()).isEqualTo(DUPLICATE);
    }

    @Test
    @DisplayName("a fresh claim says no earlier attempt existed; a takeover of an expired claim says one may have written")
    void freshAndTakenOverClaimsAreToldApart() {
        ClaimResult fresh = store.claim(key("t-1"), "fp", LEASE);
        clock.advance(LEASE);
        ClaimResult takeover = newStore("node-b").claim(key("t-1"), "fp", LEASE);

        assertThat(fresh.isTakenOver()).isFalse();
        assertThat(takeover.status()).isEqualTo(CLAIMED);
        assertThat(takeover.isTakenOver()).isTrue();
    }

    @Test
    @DisplayName("a renewed claim stays in progress past its first lease; a stale token cannot renew")
    void renewalKeepsTheClaim() {
        String token = store.claim(key("t-1"), "fp", LEASE).claimToken();
        clock.advance(LEASE.minusMillis(1));
        assertThat(store.renew(key("t-1"), token, LEASE)).isTrue();
        clock.advance(LEASE.minusMillis(1));

        assertThat(newStore("node-b").claim(key("t-1"), "fp", LEASE).status()).isEqualTo(IN_PROGRESS);
        assertThat(store.renew(key("t-1"), "not-the-token", LEASE)).isFalse();
        clock.advance(LEASE);
        assertThat(newStore("node-b").claim(key("t-1"), "fp", LEASE).isTakenOver()).isTrue();
        assertThat(store.renew(key("t-1"), token, LEASE)).as("the claim was taken over").isFalse();
    }

    @Test
    @DisplayName("an abandoned claim is taken over at once by any node, which is told an earlier attempt may have written")
    void abandonedClaimIsTakenOverAtOnce() {
        String token = store.claim(key("t-1"), "fp", LEASE).claimToken();
        store.abandon(key("t-1"), token);

        ClaimResult next = newStore("node-b").claim(key("t-1"), "fp", LEASE);
        assertThat(next.status()).isEqualTo(CLAIMED);
        assertThat(next.isTakenOver()).isTrue();
    }

    @Test
    @DisplayName("a claim abandoned while the database was unreachable is taken back at once by the same store;"
            + " other nodes wait for its lease")
    void claimAbandonedWhileUnreachableIsTakenBack() {
        AtomicBoolean reachable = new AtomicBoolean(true);
        DataSource flaky = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && !reachable.get()) {
                        throw new SQLException("connection refused (test switch)", "08001");
                    }
                    try {
                        return method.invoke(dataSource(), args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        JdbcIdempotencyStore nodeA = new JdbcIdempotencyStore(flaky, table, clock, "node-a");
        String token = nodeA.claim(key("t-1"), "fp", LEASE).claimToken();
        reachable.set(false);
        assertThatThrownBy(() -> nodeA.abandon(key("t-1"), token)).isInstanceOf(TransientFailure.class)
                .hasMessageContaining("abandon");
        reachable.set(true);

        assertThat(newStore("node-b").claim(key("t-1"), "fp", LEASE).status()).isEqualTo(IN_PROGRESS);
        ClaimResult back = nodeA.claim(key("t-1"), "fp", LEASE);
        assertThat(back.status()).isEqualTo(CLAIMED);
        assertThat(back.isTakenOver()).isTrue();
    }

    @Test
    @DisplayName("a node restarted under the same node id takes back the live claims of its previous run at once;"
            + " another node's live claim stays in progress")
    void restartedNodeTakesBackItsDeadClaims() throws SQLException {
        store.claim(key("t-1"), "fp", LEASE);
        newStore("node-b").claim(key("t-2"), "fp", LEASE);
        // what a crashed run of node-a left: its process instance differs from this one's
        execute("UPDATE " + table + " SET claimed_by = 'node-a/0dead0ff' WHERE key_id = 't-1'");

        assertThat(newStore("node-c").claim(key("t-1"), "fp", LEASE).status()).isEqualTo(IN_PROGRESS);
        ClaimResult back = newStore("node-a").claim(key("t-1"), "fp", LEASE);
        assertThat(back.status()).isEqualTo(CLAIMED);
        assertThat(back.isTakenOver()).isTrue();
        assertThat(newStore("node-a").claim(key("t-2"), "fp", LEASE).status()).isEqualTo(IN_PROGRESS);
    }

    @Test
    @DisplayName("an expired claim with another fingerprint is a conflict, not a takeover")
    void expiredClaimWithOtherFingerprintConflicts() {
        store.claim(key("t-1"), "fp", LEASE);
        clock.advance(LEASE.multipliedBy(2));

        assertThat(newStore("node-b").claim(key("t-1"), "fp-other", LEASE).status()).isEqualTo(CONFLICT);
    }

    @Test
    @DisplayName("16 threads claiming the same 200 new keys, each through its own connection, claim each exactly once")
    void newKeysClaimedExactlyOnce() throws Exception {
        Map<ClaimResult.Status, Integer> totals = race();

        assertThat(totals).containsEntry(CLAIMED, KEYS).containsEntry(IN_PROGRESS, KEYS * (THREADS - 1))
                .doesNotContainKeys(DUPLICATE, CONFLICT);
    }

    @Test
    @DisplayName("16 threads racing to take over the same 200 expired claims take over each exactly once")
    void expiredClaimsTakenOverExactlyOnce() throws Exception {
        for (int k = 0; k < KEYS; k++) {
            store.claim(key("k-" + k), "fp", LEASE);
        }
        clock.advance(LEASE.plusSeconds(1));

        Map<ClaimResult.Status, Integer> totals = race();

        assertThat(totals).containsEntry(CLAIMED, KEYS).containsEntry(IN_PROGRESS, KEYS * (THREADS - 1))
                .doesNotContainKeys(DUPLICATE, CONFLICT);
    }

    /**
     * THREADS threads claim the same KEYS keys, each thread as its own node through its own
     * connection and in its own order; checks each key is won exactly once.
     */
    private Map<ClaimResult.Status, Integer> race() throws Exception {
        Map<String, AtomicInteger> winners = new ConcurrentHashMap<>();
        Map<ClaimResult.Status, AtomicInteger> totals = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<PinnedConnection> connections = new ArrayList<>();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                PinnedConnection connection = new PinnedConnection(dataSource());
                connections.add(connection);
                JdbcIdempotencyStore node = new JdbcIdempotencyStore(connection.dataSource(), table, clock, "node-" + t);
                List<Integer> order = new ArrayList<>();
                for (int k = 0; k < KEYS; k++) {
                    order.add(k);
                }
                Collections.shuffle(order, new Random(t));
                done.add(pool.submit(() -> {
                    start.await();
                    for (int k : order) {
                        ClaimResult r = node.claim(key("k-" + k), "fp", LEASE);
                        totals.computeIfAbsent(r.status(), s -> new AtomicInteger()).incrementAndGet();
                        if (r.status() == CLAIMED) {
                            winners.computeIfAbsent("k-" + k, x -> new AtomicInteger()).incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
            for (PinnedConnection c : connections) {
                c.close();
            }
        }
        assertThat(winners).hasSize(KEYS);
        assertThat(winners.values()).allSatisfy(n -> assertThat(n.get()).as("claims won per key").isEqualTo(1));
        return totals.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
    }

    @Test
    @DisplayName("a database that does not answer makes every operation a transient failure naming the operation and key")
    void everyOperationFailsTransiently() {
        JdbcIdempotencyStore down = new JdbcIdempotencyStore(unreachableDataSource(), table, clock, "node-down");

        assertThatThrownBy(() -> down.claim(key("t-9"), "fp", LEASE)).isInstanceOf(TransientFailure.class)
                .hasMessageContaining("claim").hasMessageContaining("tenant-1/subscription-1/t-9")
                .hasCauseInstanceOf(SQLException.class)
                .satisfies(e -> {
                    TransientFailure f = (TransientFailure) e;
                    assertThat(f.reasonCode()).isEqualTo(TransientFailure.DOWNSTREAM_UNAVAILABLE);
                    assertThat(f.tenant()).isEqualTo("tenant-1");
                    assertThat(f.trackingId()).isEqualTo("t-9");
                });
        assertThatThrownBy(() -> down.complete(key("t-9"), "token")).isInstanceOf(TransientFailure.class)
                .hasMessageContaining("complete").hasMessageContaining("t-9");
        assertThatThrownBy(() -> down.release(key("t-9"), "token")).isInstanceOf(TransientFailure.class)
                .hasMessageContaining("release").hasMessageContaining("t-9");
        assertThatThrownBy(() -> down.renew(key("t-9"), "token", LEASE)).isInstanceOf(TransientFailure.class)
                .hasMessageContaining("renew").hasMessageContaining("t-9");
        assertThatThrownBy(() -> down.abandon(key("t-9"), "token")).isInstanceOf(TransientFailure.class)
                .hasMessageContaining("abandon").hasMessageContaining("t-9");
        assertThatThrownBy(() -> down.purgeCompletedBefore(START)).isInstanceOf(TransientFailure.class)
                .hasMessageContaining("purge");
        assertThatThrownBy(down::createTableIfAbsent).isInstanceOf(TransientFailure.class)
                .hasMessageContaining(table);
    }
}
