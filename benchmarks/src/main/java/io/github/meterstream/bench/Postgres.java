package io.github.meterstream.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;

/**
 * The real PostgreSQL at 127.0.0.1:5432 (user postgres, database test) through a HikariCP pool, as
 * a host application (Kill Bill's pooled data source) would hand it to the store.
 */
final class Postgres implements AutoCloseable {

    static final String URL = System.getProperty("bench.postgresql.url", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String TABLE = "meterstream_idempotency_bench";

    final HikariDataSource dataSource;

    Postgres(int poolSize) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(URL);
        c.setUsername("postgres");
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(poolSize);
        c.setPoolName("bench");
        dataSource = new HikariDataSource(c);
    }

    /** A store on a fresh (emptied) benchmark table. */
    JdbcIdempotencyStore freshStore() throws Exception {
        JdbcIdempotencyStore store = new JdbcIdempotencyStore(dataSource, TABLE, Clock.systemUTC(), "bench");
        store.createTableIfAbsent();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("TRUNCATE " + TABLE);
        }
        return store;
    }

    String settings() throws Exception {
        StringBuilder b = new StringBuilder();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String name : new String[] {"server_version", "synchronous_commit", "fsync", "shared_buffers"}) {
                try (var rs = s.executeQuery("SHOW " + name)) {
                    rs.next();
                    b.append(name).append('=').append(rs.getString(1)).append(' ');
                }
            }
        }
        return b.toString().trim();
    }

    void dropTable() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
        } catch (Exception e) {
            // best effort
        }
    }

    @Override
    public void close() {
        dropTable();
        dataSource.close();
    }
}
