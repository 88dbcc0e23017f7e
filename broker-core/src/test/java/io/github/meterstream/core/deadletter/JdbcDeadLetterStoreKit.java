package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.SourceCoordinates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every database under {@link JdbcDeadLetterStore} must do; one subclass per database, each on a
 * real server (or H2), in a table of its own created through {@code createTableIfAbsent()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcDeadLetterStoreKit {

    static final Instant START = Instant.parse("2026-11-20T10:00:00Z");

    protected abstract DataSource dataSource();

    protected abstract DataSource unreachableDataSource();

    private final String table = "ms_dlq_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final MovingClock clock = new MovingClock();

    @BeforeAll
    void createTable() {
        store().createTableIfAbsent();
    }

    @AfterAll
    void dropTable() throws SQLException {
        execute("DROP TABLE IF EXISTS " + table);
    }

    @BeforeEach
    void empty() throws SQLException {
        execute("DELETE FROM " + table);
        clock.now.set(START);
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    JdbcDeadLetterStore store() {
        return store(4096, 100);
    }

    JdbcDeadLetterStore store(int maxPayload, int maxPerTenant) {
        return new JdbcDeadLetterStore(dataSource(), table, clock, maxPayload, maxPerTenant);
    }

    static DeadLetterEnvelope envelope(String reasonCode, String tenant, String trackingId, long offset) {
        return DeadLetterEnvelope.builder()
                .reasonCode(reasonCode)
                .reason(reasonCode + ": fix it")
                .exceptionClass("x.Y")
                .coordinates(SourceCoordinates.of("usage", "usage-topic", 3, offset))
                .attempts(2)
                .firstFailureAt(START)
                .lastFailureAt(START)
                .tenant(tenant)
                .trackingId(trackingId)
                .build();
    }

    static byte[] payload(String trackingId) {
        return ("{\"trackingId\":\"" + trackingId + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    String reject(JdbcDeadLetterStore store, String reason, String tenant, String trackingId) {
        return store.record(envelope(reason, tenant, trackingId, 7), payload(trackingId), "sub-" + trackingId);
    }

    @Test
    @DisplayName("keeps a rejection with where it came from, its reason and its payload")
    void recordAndFind() {
        JdbcDeadLetterStore store = store();
        String id = reject(store, "UNKNOWN_SUBSCRIPTION", "tenant-a", "t-1");

        StoredRejection r = store.find(id).orElseThrow();
        assertThat(r.source()).isEqualTo("usage");
        assertThat(r.tenant()).isEqualTo("tenant-a");
        assertThat(r.reasonCode()).isEqualTo("UNKNOWN_SUBSCRIPTION");
        assertThat(r.reason()).isEqualTo("UNKNOWN_SUBSCRIPTION: fix it");
        assertThat(r.trackingId()).isEqualTo("t-1");
        assertThat(r.subject()).isEqualTo("sub-t-1");
        assertThat(r.destination()).isEqualTo("usage-topic");
        assertThat(r.partition()).isEqualTo("3");
        assertThat(r.position()).isEqualTo("7");
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.firstSeen()).isEqualTo(START);
        assertThat(r.lastSeen()).isEqualTo(START);
        assertThat(r.timesSeen()).isEqualTo(1);
        assertThat(r.payload()).isEqualTo(payload("t-1"));
        assertThat(r.payloadTruncated()).isFalse();
        assertThat(r.state()).isEqualTo(StoredRejection.State.REJECTED);
        assertThat(r.lastReplayOutcome()).isNull();
        assertThat(store.find("no-such-id")).isEmpty();
    }

    @Test
    @DisplayName("the same message rejected again is one entry seen twice; another reason is another entry")
    void sightings() {
        JdbcDeadLetterStore store = store();
        String id = reject(store, "UNIT_NOT_IN_PLAN", "tenant-a", "t-1");
        clock.advance(Duration.ofMinutes(5));
        assertThat(reject(store, "UNIT_NOT_IN_PLAN", "tenant-a", "t-1")).isEqualTo(id);
        String other = reject(store, "LATE_USAGE", "tenant-a", "t-1");

        assertThat(other).isNotEqualTo(id);
        StoredRejection r = store.find(id).orElseThrow();
        assertThat(r.timesSeen()).isEqualTo(2);
        assertThat(r.firstSeen()).isEqualTo(START);
        assertThat(r.lastSeen()).isEqualTo(START.plus(Duration.ofMinutes(5)));
        assertThat(store.list(RejectionQuery.all())).hasSize(2);
    }

    @Test
    @DisplayName("two nodes storing the same rejection at once make one entry seen twice")
    void concurrentSameRejection() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 10; round++) {
                String trackingId = "race-" + round;
                CountDownLatch go = new CountDownLatch(1);
                Callable<String> node = () -> {
                    go.await();
                    return reject(store(), "UNKNOWN_TENANT", "tenant-r", trackingId);
                };
                Future<String> a = two.submit(node);
                Future<String> b = two.submit(node);
                go.countDown();
                assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo(b.get(30, TimeUnit.SECONDS));
                assertThat(store().find(a.get()).orElseThrow().timesSeen()).as(trackingId).isEqualTo(2);
            }
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    @DisplayName("a payload over the cap is kept cut, with its length as received, and says so")
    void payloadCap() {
        JdbcDeadLetterStore store = store(16, 100);
        byte[] big = new byte[1000];
        java.util.Arrays.fill(big, (byte) 'x');
        String id = store.record(envelope("PAYLOAD_TOO_LARGE", null, null, 1), big, null);

        StoredRejection r = store.find(id).orElseThrow();
        assertThat(r.payload()).hasSize(16);
        assertThat(r.payloadLength()).isEqualTo(1000);
        assertThat(r.payloadTruncated()).isTrue();
        assertThat(r.tenant()).isNull();
    }

    @Test
    @DisplayName("lists by tenant, reason, subject, state and time, most recently seen first, a page at a time")
    void filtersAndPages() {
        JdbcDeadLetterStore store = store();
        for (int i = 0; i < 5; i++) {
            reject(store, "UNIT_NOT_IN_PLAN", "tenant-a", "a-" + i);
            clock.advance(Duration.ofMinutes(1));
        }
        reject(store, "LATE_USAGE", "tenant-a", "late");
        reject(store, "UNIT_NOT_IN_PLAN", "tenant-b", "b-0");

        List<StoredRejection> firstPage = store.list(RejectionQuery.builder().tenant("tenant-a").reasonCode("UNIT_NOT_IN_PLAN")
                .page(0, 2).build());
        assertThat(firstPage).extracting(StoredRejection::trackingId).containsExactly("a-4", "a-3");
        assertThat(firstPage).allSatisfy(r -> assertThat(r.payload()).as("lists leave payloads out").isNull());
        assertThat(store.list(RejectionQuery.builder().tenant("tenant-a").reasonCode("UNIT_NOT_IN_PLAN").page(4, 2).build()))
                .extracting(StoredRejection::trackingId).containsExactly("a-0");
        assertThat(store.list(RejectionQuery.builder().subject("sub-late").build())).extracting(StoredRejection::trackingId)
                .containsExactly("late");
        assertThat(store.list(RejectionQuery.builder().seenFrom(START.plus(Duration.ofMinutes(1)))
                .seenBefore(START.plus(Duration.ofMinutes(3))).build()))
                .extracting(StoredRejection::trackingId).containsExactly("a-2", "a-1");
        assertThat(store.list(RejectionQuery.builder().reasonCode("UNIT_NOT_IN_PLAN").build().forTenant("tenant-b")))
                .extracting(StoredRejection::trackingId).containsExactly("b-0");
        assertThat(store.countByReason(RejectionQuery.builder().tenant("tenant-a").build()))
                .isEqualTo(Map.of("UNIT_NOT_IN_PLAN", 5L, "LATE_USAGE", 1L));
        assertThat(store.countByReason(RejectionQuery.all())).containsEntry("UNIT_NOT_IN_PLAN", 6L);
    }

    @Test
    @DisplayName("counts per UTC day of the last sighting")
    void perDay() {
        JdbcDeadLetterStore store = store();
        reject(store, "LATE_USAGE", "tenant-a", "d-1");
        reject(store, "LATE_USAGE", "tenant-a", "d-2");
        clock.advance(Duration.ofDays(1));
        reject(store, "LATE_USAGE", "tenant-a", "d-3");

        assertThat(store.countByDay(RejectionQuery.all())).containsExactly(
                Map.entry(LocalDate.of(2026, 11, 20), 2L), Map.entry(LocalDate.of(2026, 11, 21), 1L));
    }

    @Test
    @DisplayName("a discard is kept with who and when; the same message refused again opens the entry again")
    void discard() {
        JdbcDeadLetterStore store = store();
        String id = reject(store, "UNKNOWN_SUBSCRIPTION", "tenant-a", "t-1");
        clock.advance(Duration.ofMinutes(1));
        assertThat(store.discard(id, "ops@tenant-a")).isTrue();
        assertThat(store.discard("no-such-id", "ops")).isFalse();

        StoredRejection discarded = store.find(id).orElseThrow();
        assertThat(discarded.state()).isEqualTo(StoredRejection.State.DISCARDED);
        assertThat(discarded.stateBy()).isEqualTo("ops@tenant-a");
        assertThat(discarded.stateAt()).isEqualTo(START.plus(Duration.ofMinutes(1)));
        assertThat(store.list(RejectionQuery.builder().state(StoredRejection.State.REJECTED).build())).isEmpty();

        clock.advance(Duration.ofMinutes(1));
        reject(store, "UNKNOWN_SUBSCRIPTION", "tenant-a", "t-1");
        StoredRejection again = store.find(id).orElseThrow();
        assertThat(again.state()).isEqualTo(StoredRejection.State.REJECTED);
        assertThat(again.stateBy()).isNull();
        assertThat(again.timesSeen()).isEqualTo(2);
    }

    @Test
    @DisplayName("a replay that records (or finds it recorded) closes the entry; a refusal or failure keeps it open, with the outcome")
    void replays() {
        JdbcDeadLetterStore store = store();
        String refused = reject(store, "UNIT_NOT_IN_PLAN", "tenant-a", "t-1");
        String recorded = reject(store, "UNIT_NOT_IN_PLAN", "tenant-a", "t-2");
        clock.advance(Duration.ofMinutes(1));

        assertThat(store.replayed(refused, StoredRejection.ReplayOutcome.REJECTED_AGAIN, "unit still missing", "admin")).isTrue();
        assertThat(store.replayed(recorded, StoredRejection.ReplayOutcome.RECORDED, null, "admin")).isTrue();

        StoredRejection open = store.find(refused).orElseThrow();
        assertThat(open.state()).isEqualTo(StoredRejection.State.REJECTED);
        assertThat(open.lastReplayOutcome()).isEqualTo(StoredRejection.ReplayOutcome.REJECTED_AGAIN);
        assertThat(open.lastReplayDetail()).isEqualTo("unit still missing");
        assertThat(open.lastReplayAt()).isEqualTo(START.plus(Duration.ofMinutes(1)));
        StoredRejection closed = store.find(recorded).orElseThrow();
        assertThat(closed.state()).isEqualTo(StoredRejection.State.REPLAYED);
        assertThat(closed.stateBy()).isEqualTo("admin");
        assertThat(closed.lastReplayOutcome()).isEqualTo(StoredRejection.ReplayOutcome.RECORDED);
    }

    @Test
    @DisplayName("a tenant keeps at most its cap: the least recently seen go, counted, other tenants untouched")
    void perTenantCap() {
        JdbcDeadLetterStore store = store(4096, 3);
        reject(store, "LATE_USAGE", "tenant-b", "b-0");
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(1));
            reject(store, "LATE_USAGE", "tenant-a", "a-" + i);
        }
        assertThat(store.list(RejectionQuery.builder().tenant("tenant-a").build())).extracting(StoredRejection::trackingId)
                .containsExactly("a-4", "a-3", "a-2");
        assertThat(store.list(RejectionQuery.builder().tenant("tenant-b").build())).hasSize(1);
        assertThat(store.droppedByCap()).isEqualTo(2);
    }

    @Test
    @DisplayName("the retention purge deletes what was last seen before the cut-off")
    void purge() {
        JdbcDeadLetterStore store = store();
        reject(store, "LATE_USAGE", "tenant-a", "old");
        clock.advance(Duration.ofDays(10));
        String recent = reject(store, "LATE_USAGE", "tenant-a", "recent");

        assertThat(store.purgeLastSeenBefore(START.plus(Duration.ofDays(5)))).isEqualTo(1);
        assertThat(store.list(RejectionQuery.all())).extracting(StoredRejection::id).containsExactly(recent);
    }

    @Test
    @DisplayName("creating the table again changes nothing")
    void createTwice() {
        String id = reject(store(), "LATE_USAGE", "tenant-a", "kept");
        store().createTableIfAbsent();
        assertThat(store().find(id)).isPresent();
    }

    @Test
    @DisplayName("a database that cannot be reached fails the call, naming the table")
    void unreachable() {
        JdbcDeadLetterStore down = new JdbcDeadLetterStore(unreachableDataSource(), table, clock, 100, 10);
        assertThatThrownBy(() -> down.record(envelope("LATE_USAGE", "t", "x", 1), payload("x"), null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(table);
    }

    /** A clock the tests move by hand. */
    static final class MovingClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(START);

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("tests read instants only");
        }
    }
}
