package io.github.meterstream.examples;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.rollup.JdbcRollupStore;
import io.github.meterstream.core.rollup.Rollup;
import io.github.meterstream.core.rollup.RollupSink;
import io.github.meterstream.core.rollup.StagedEvent;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import org.h2.jdbcx.JdbcDataSource;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * broker-core's durable windowed aggregator ({@code core.rollup}) outside Kill Bill: stock movements
 * summed per product over 500 ms windows, each closed window emitted exactly once into a table of
 * window totals. The handler only stages (a redelivered movement is a duplicate of its row); a
 * flusher emits the windows that have closed, each roll-up under its fixed id, so an emission
 * repeated after a crash is recognised by that id and not counted twice.
 *
 * <p>Run {@link #main} from an IDE, or through its test: {@code mvn -B -pl examples -am verify}.
 */
public final class StockWindowsExample {

    static final Duration WINDOW = Duration.ofMillis(500);

    private StockWindowsExample() {
    }

    // always with milliseconds: Instant.toString() drops ".000", and "10:00:01Z" sorts after "10:00:01.500Z"
    private static final DateTimeFormatter WINDOW_START = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** The start of the window {@code at} falls in, in one fixed format, so that buckets sort in time order. */
    static String windowOf(Instant at) {
        long ms = at.toEpochMilli();
        return WINDOW_START.format(Instant.ofEpochMilli(ms - Math.floorMod(ms, WINDOW.toMillis())));
    }

    /** The sink: one row per roll-up id, so a roll-up sent again (after a crash) is not counted twice. */
    static RollupSink windowTable(DataSource db) {
        return rollup -> {
            try (Connection c = db.getConnection()) {
                try (PreparedStatement seen = c.prepareStatement("SELECT 1 FROM stock_window_rollup WHERE rollup_id = ?")) {
                    seen.setString(1, rollup.id());
                    try (ResultSet r = seen.executeQuery()) {
                        if (r.next()) {
                            return;
                        }
                    }
                }
                c.setAutoCommit(false);
                try (PreparedStatement id = c.prepareStatement("INSERT INTO stock_window_rollup (rollup_id) VALUES (?)");
                     PreparedStatement sum = c.prepareStatement("INSERT INTO stock_window (sku, window_start, delta, rollup_id) VALUES (?, ?, ?, ?)")) {
                    id.setString(1, rollup.id());
                    id.executeUpdate();
                    for (Map.Entry<String, BigDecimal> w : rollup.sums().entrySet()) {
                        sum.setString(1, rollup.group());
                        sum.setString(2, w.getKey());
                        sum.setBigDecimal(3, w.getValue());
                        sum.setString(4, rollup.id());
                        sum.executeUpdate();
                    }
                    c.commit();
                }
            }
        };
    }

    public static void main(String[] args) throws Exception {
        JdbcDataSource db = new JdbcDataSource();
        db.setURL("jdbc:h2:mem:stock-windows;DB_CLOSE_DELAY=-1");
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE stock_window_rollup (rollup_id VARCHAR(64) PRIMARY KEY)");
            s.execute("CREATE TABLE stock_window (sku VARCHAR(64), window_start VARCHAR(32), delta DECIMAL(38,9), rollup_id VARCHAR(64))");
        }
        JdbcRollupStore windows = new JdbcRollupStore(db, "stock_windows", Clock.systemUTC());
        windows.createTablesIfAbsent();

        // windows by the time a movement is staged; a producer's own timestamp would do as well
        MessageHandler<StockAdjustment> stage = (m, ctx) -> {
            Instant now = Instant.now();
            List<JdbcRollupStore.Staged> done = windows.stage(List.of(new StagedEvent(m.sku(), m.eventId(), windowOf(now),
                    BigDecimal.valueOf(m.delta()), Integer.toString(m.delta()), ctx.coordinates().toString(), now)));
            return done.get(0) == JdbcRollupStore.Staged.STAGED ? MessageHandler.Outcome.PROCESSED : MessageHandler.Outcome.ALREADY_PROCESSED;
        };
        InMemoryBroker broker = InMemoryBroker.named("windows");
        ConsumerPipeline<StockAdjustment> pipeline = ConsumerPipeline.builder(new StockAdjustmentContract())
                .source(new InMemoryBrokerSource("stock", broker, "stock")).handler(stage).build();
        pipeline.start();

        int published = 0;
        int sum = 0;
        for (int i = 0; i < 40; i++) {
            int delta = i % 3 == 0 ? -1 : 2;
            String sku = i % 2 == 0 ? "CHAIR-RED" : "TABLE-OAK";
            String json = "{\"eventId\":\"w-" + i + "\",\"warehouse\":\"W1\",\"sku\":\"" + sku + "\",\"delta\":" + delta + "}";
            broker.publish("stock", json);
            if (i % 10 == 0) {
                broker.publish("stock", json); // a redelivery
            }
            published++;
            sum += delta;
            Thread.sleep(30);
            flushClosedWindows(windows, db);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (pipeline.stats().oldestUnsettledSince() != null || pipeline.stats().received() < published + 4) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the example did not finish: " + pipeline.stats());
            }
            Thread.sleep(20);
        }
        pipeline.close();
        Thread.sleep(WINDOW.toMillis());
        flushClosedWindows(windows, db);

        System.out.println("published " + published + " movements (+4 redeliveries), total delta " + sum);
        System.out.println("windows emitted: " + count(db, "SELECT COUNT(*) FROM stock_window") + " in "
                + count(db, "SELECT COUNT(*) FROM stock_window_rollup") + " roll-ups, distinct windows "
                + count(db, "SELECT COUNT(*) FROM (SELECT DISTINCT sku, window_start FROM stock_window) w"));
        System.out.println("total per sku: " + totals(db));
    }

    /** Emits every window that has closed: its start is before the current window's. */
    static void flushClosedWindows(JdbcRollupStore windows, DataSource db) {
        String current = windowOf(Instant.now());
        RollupSink sink = windowTable(db);
        for (String sku : windows.groupsToFlush(100, current)) {
            for (Rollup r : windows.flush(sku, current, sink)) {
                System.out.println("emitted " + r);
            }
        }
    }

    static long count(DataSource db, String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    static Map<String, BigDecimal> totals(DataSource db) throws SQLException {
        Map<String, BigDecimal> out = new TreeMap<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT sku, SUM(delta) FROM stock_window GROUP BY sku")) {
            while (r.next()) {
                out.put(r.getString(1), r.getBigDecimal(2).stripTrailingZeros());
            }
        }
        return out;
    }
}
