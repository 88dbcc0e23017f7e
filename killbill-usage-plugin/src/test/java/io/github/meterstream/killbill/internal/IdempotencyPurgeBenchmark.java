package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How long the plugin's scheduled purge takes on a table of a million completed keys, on a real
 * PostgreSQL. Off by default; run with
 * {@code mvn -B -ntp -o -q -pl killbill-usage-plugin -am verify -Dtest=IdempotencyPurgeBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false -Dmeterstream.bench.postgres=jdbc:postgresql://127.0.0.1:5432/test?user=postgres}.
 * It uses a table of its own and drops it afterwards.
 */
@DisplayName("Purge of a million idempotency keys on PostgreSQL (benchmark)")
class IdempotencyPurgeBenchmark {

    static final int ROWS = 1_000_000;
    static final Duration RETENTION = Duration.ofDays(30);

    @Test
    @DisplayName("one purge run: a steady-state hour of a 30-day window, then half the table")
    void purgeAMillionRows() throws SQLException {
        String url = System.getProperty("meterstream.bench.postgres");
        Assumptions.assumeTrue(url != null, "set -Dmeterstream.bench.postgres=<jdbc url> to run");
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        String table = "meterstream_purge_bench_" + Long.toHexString(System.nanoTime());
        Instant now = Instant.now();
        JdbcIdempotencyStore store = new JdbcIdempotencyStore(ds, table, Clock.systemUTC(), "bench");
        store.createTableIfAbsent();
        try {
            // keys completed evenly over the last 30 days and one hour, the oldest hour's worth past the retention
            long newest = now.toEpochMilli();
            long span = RETENTION.plusHours(1).toMillis();
            fill(ds, table, newest, span);
            IdempotencyPurger purger = new IdempotencyPurger(store::purgeCompletedBefore, Clock.systemUTC(), RETENTION, Duration.ofHours(1));
            long t0 = System.nanoTime();
            int hourly = purger.runOnce();
            long hourlyMillis = (System.nanoTime() - t0) / 1_000_000;

            // then a purge of half the table (a first run after months without one)
            long t1 = System.nanoTime();
            int half = store.purgeCompletedBefore(now.minus(RETENTION.plusHours(1).dividedBy(2)));
            long halfMillis = (System.nanoTime() - t1) / 1_000_000;

            System.out.printf("PURGE BENCHMARK table of %,d keys: steady-state run deleted %,d in %,d ms; "
                    + "half-table run deleted %,d in %,d ms%n", ROWS, hourly, hourlyMillis, half, halfMillis);
            assertThat(hourly).isBetween(ROWS / 800, ROWS / 600);
            assertThat(half).isBetween(ROWS / 2 - ROWS / 50, ROWS / 2);
        } finally {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }

    private static void fill(PGSimpleDataSource ds, String table, long newest, long span) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement("INSERT INTO " + table
                + " SELECT 'bench-tenant', 'id:sub-' || (g % 1000), 'trk-' || g, 'f', 'COMPLETED', 'token', 0, t, t"
                + " FROM (SELECT g, ? - (g::bigint * ? / ?) AS t FROM generate_series(1, ?) g) x")) {
            s.setLong(1, newest);
            s.setLong(2, span);
            s.setLong(3, ROWS);
            s.setInt(4, ROWS);
            assertThat(s.executeUpdate()).isEqualTo(ROWS);
        }
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("ANALYZE " + table);
        }
    }
}
