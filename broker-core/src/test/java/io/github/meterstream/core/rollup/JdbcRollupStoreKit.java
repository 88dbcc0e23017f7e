package io.github.meterstream.core.rollup;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What every database under {@link JdbcRollupStore} must do; one subclass per database, tables of its own. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcRollupStoreKit {

    static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    protected abstract DataSource dataSource();

    private final String prefix = "ms_ru_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);

    JdbcRollupStore store() {
        return new JdbcRollupStore(dataSource(), prefix, Clock.fixed(T0, ZoneOffset.UTC));
    }

    @BeforeAll
    void create() {
        store().createTablesIfAbsent();
    }

    @AfterAll
    void drop() throws SQLException {
        for (String t : new String[] {"_event", "_rollup", "_group"}) {
            execute("DROP TABLE IF EXISTS " + prefix + t);
        }
    }

    @BeforeEach
    void empty() throws SQLException {
        for (String t : new String[] {"_event", "_rollup", "_group"}) {
            execute("DELETE FROM " + prefix + t);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static StagedEvent event(String group, String id, String bucket, String amount) {
        return new StagedEvent(group, id, bucket, new BigDecimal(amount), "fp-" + amount, "topic-0@" + id, T0);
    }

    /** A sink that keeps what it took, per roll-up id, as a downstream that deduplicates by id would. */
    static final class RecordingSink implements RollupSink {
        final Map<String, Rollup> byId = new ConcurrentHashMap<>();
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public void send(Rollup rollup) {
            calls.add(rollup.id());
            byId.putIfAbsent(rollup.id(), rollup);
        }

        BigDecimal total(String group, String bucket) {
            return byId.values().stream().filter(r -> r.group().equals(group)).map(r -> r.sums().getOrDefault(bucket, BigDecimal.ZERO))
                    .reduce(BigDecimal.ZERO, BigDecimal::add);
        }
    }

    @Test
    @DisplayName("stages events once and flushes each group as one roll-up of sums per bucket; a second flush sends nothing")
    void stageAndFlush() {
        JdbcRollupStore store = store();
        assertThat(store.stage(List.of(event("sub-1", "e1", "api-call/2026-11-20", "10"), event("sub-1", "e2", "api-call/2026-11-20", "2.5"),
                event("sub-1", "e3", "storage/2026-11-20", "7"), event("sub-2", "e4", "api-call/2026-11-20", "1"))))
                .containsOnly(JdbcRollupStore.Staged.STAGED);
        RecordingSink sink = new RecordingSink();

        List<Rollup> sent = store.flush("sub-1", sink);
        assertThat(sent).singleElement().satisfies(r -> {
            assertThat(r.sums()).isEqualTo(Map.of("api-call/2026-11-20", new BigDecimal("12.5"), "storage/2026-11-20", new BigDecimal("7")));
            assertThat(r.events()).isEqualTo(3);
            assertThat(r.group()).isEqualTo("sub-1");
        });
        assertThat(store.flush("sub-1", sink)).isEmpty();
        assertThat(sink.calls).hasSize(1);
        assertThat(store.groupsToFlush(10)).containsExactly("sub-2");
        assertThat(store.eventsOf(sent.get(0).id())).extracting(StagedEvent::id).containsExactlyInAnyOrder("e1", "e2", "e3");
        assertThat(store.rollupOf("sub-1", "e2")).contains(sent.get(0).id());
        assertThat(store.rollupOf("sub-2", "e4")).isEmpty();
    }

    @Test
    @DisplayName("a redelivered event is a duplicate, the same id with other content a conflict, within a batch and across batches")
    void duplicatesAndConflicts() {
        JdbcRollupStore store = store();
        store.stage(List.of(event("sub-1", "e1", "u/d", "10")));
        assertThat(store.stage(List.of(event("sub-1", "e1", "u/d", "10"), event("sub-1", "e1", "u/d", "11"), event("sub-1", "e2", "u/d", "1"),
                event("sub-1", "e2", "u/d", "1"), event("sub-2", "e1", "u/d", "5"))))
                .containsExactly(JdbcRollupStore.Staged.DUPLICATE, JdbcRollupStore.Staged.CONFLICT, JdbcRollupStore.Staged.STAGED,
                        JdbcRollupStore.Staged.DUPLICATE, JdbcRollupStore.Staged.STAGED);
        RecordingSink sink = new RecordingSink();
        store.flush("sub-1", sink);
        assertThat(sink.total("sub-1", "u/d")).isEqualByComparingTo("11");
        // flushed events are duplicates still (the dedupe window lasts until the purge)
        assertThat(store.stage(List.of(event("sub-1", "e1", "u/d", "10")))).containsExactly(JdbcRollupStore.Staged.DUPLICATE);
    }

    @Test
    @DisplayName("a roll-up the sink failed stays pending and is sent again with the same id and sums; later events wait for the next one")
    void failedSendIsSentAgain() {
        JdbcRollupStore store = store();
        store.stage(List.of(event("sub-1", "e1", "u/d", "3")));
        RecordingSink downstream = new RecordingSink();
        // the call lands downstream, then the answer is lost
        RollupSink landsThenFails = r -> {
            downstream.send(r);
            throw new IllegalStateException("connection reset after the write");
        };
        assertThatThrownBy(() -> store.flush("sub-1", landsThenFails)).isInstanceOf(RollupSendException.class)
                .hasMessageContaining("stays pending");
        String firstId = downstream.calls.get(0);
        store.stage(List.of(event("sub-1", "e2", "u/d", "4")));

        List<Rollup> again = store.flush("sub-1", downstream);
        assertThat(again).extracting(Rollup::id).containsExactly(firstId);
        assertThat(again.get(0).sums()).containsEntry("u/d", new BigDecimal("3"));
        List<Rollup> next = store.flush("sub-1", downstream);
        assertThat(next).singleElement().satisfies(r -> assertThat(r.id()).isNotEqualTo(firstId));
        assertThat(downstream.byId).hasSize(2);
        assertThat(downstream.total("sub-1", "u/d")).isEqualByComparingTo("7");
    }

    @Test
    @DisplayName("nodes staging and flushing at once: every event in exactly one roll-up, no roll-up sent by two nodes at once")
    void concurrentNodes() throws Exception {
        int groups = 8;
        int perGroup = 60;
        RecordingSink downstream = new RecordingSink();
        Set<String> sending = ConcurrentHashMap.newKeySet();
        AtomicBoolean overlap = new AtomicBoolean();
        RollupSink slow = r -> {
            if (!sending.add(r.group())) {
                overlap.set(true);
            }
            try {
                Thread.sleep(5);
                downstream.send(r);
            } finally {
                sending.remove(r.group());
            }
        };
        ExecutorService nodes = Executors.newFixedThreadPool(4);
        AtomicBoolean staging = new AtomicBoolean(true);
        try {
            List<Future<?>> work = new ArrayList<>();
            work.add(nodes.submit(() -> {
                for (int i = 0; i < perGroup; i++) {
                    List<StagedEvent> batch = new ArrayList<>();
                    for (int g = 0; g < groups; g++) {
                        batch.add(event("sub-" + g, "e-" + i, "u/d", "1"));
                        batch.add(event("sub-" + g, "e-" + i, "u/d", "1")); // a redelivery in the same batch
                    }
                    store().stage(batch);
                }
                staging.set(false);
                return null;
            }));
            for (int n = 0; n < 3; n++) {
                work.add(nodes.submit(() -> {
                    JdbcRollupStore node = store();
                    while (staging.get() || !node.groupsToFlush(1).isEmpty()) {
                        for (String g : node.groupsToFlush(groups)) {
                            node.flush(g, slow);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            nodes.shutdownNow();
        }
        assertThat(overlap).as("one group sent by two nodes at once").isFalse();
        assertThat(downstream.calls).as("each roll-up sent once").doesNotHaveDuplicates();
        for (int g = 0; g < groups; g++) {
            assertThat(downstream.total("sub-" + g, "u/d")).as("sub-" + g).isEqualByComparingTo(Integer.toString(perGroup));
        }
        int events = downstream.byId.values().stream().mapToInt(Rollup::events).sum();
        assertThat(events).isEqualTo(groups * perGroup);
    }

    @Test
    @DisplayName("a flush of closed windows takes the buckets before the bound only")
    void closedWindowsOnly() {
        JdbcRollupStore store = store();
        store.stage(List.of(event("CHAIR", "m1", "2026-11-20T10:00:00.000Z", "-3"), event("CHAIR", "m2", "2026-11-20T10:00:00.500Z", "5")));
        RecordingSink sink = new RecordingSink();
        assertThat(store.groupsToFlush(10, "2026-11-20T10:00:00.000Z")).isEmpty();
        assertThat(store.flush("CHAIR", "2026-11-20T10:00:00.500Z", sink)).singleElement()
                .satisfies(r -> assertThat(r.sums()).containsOnlyKeys("2026-11-20T10:00:00.000Z"));
        assertThat(store.groupsToFlush(10, "2026-11-20T10:00:01.000Z")).containsExactly("CHAIR");
        assertThat(store.flush("CHAIR", null, sink)).singleElement()
                .satisfies(r -> assertThat(r.sums()).containsOnlyKeys("2026-11-20T10:00:00.500Z"));
    }

    @Test
    @DisplayName("the purge deletes recorded roll-ups older than the cut-off with their events, and nothing pending")
    void purge() {
        JdbcRollupStore store = store();
        store.stage(List.of(event("sub-1", "e1", "u/d", "1"), event("sub-2", "e2", "u/d", "1")));
        store.flush("sub-1", new RecordingSink());
        assertThat(store.purgeRecordedBefore(T0, 10)).isZero();
        assertThat(store.purgeRecordedBefore(T0.plus(Duration.ofMillis(1)), 10)).isEqualTo(1);
        assertThat(store.rollupOf("sub-1", "e1")).isEmpty();
        assertThat(store.groupsToFlush(10)).containsExactly("sub-2");
    }

    @Test
    @DisplayName("creating the tables again changes nothing")
    void createTwice() {
        store().stage(List.of(event("sub-1", "e1", "u/d", "1")));
        store().createTablesIfAbsent();
        assertThat(store().groupsToFlush(10)).containsExactly("sub-1");
    }
}
