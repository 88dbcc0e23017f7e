package io.github.meterstream.core.idempotency;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

import org.junit.jupiter.api.DisplayName;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Against a real PostgreSQL server, by default the one CI starts on 127.0.0.1:5432 (user postgres,
 * trust authentication, database {@code test}); {@code -Dmeterstream.test.postgresql.url=...}
 * points elsewhere. A server that does not answer fails these tests: skipping them would let the
 * build pass without ever testing PostgreSQL.
 */
@DisplayName("JdbcIdempotencyStore on PostgreSQL")
class PostgreSqlJdbcIdempotencyStoreTest extends JdbcIdempotencyStoreCompatibilityKit {

    private static final String URL = System.getProperty("meterstream.test.postgresql.url",
            "jdbc:postgresql://127.0.0.1:5432/test");

    private final DataSource dataSource;

    PostgreSqlJdbcIdempotencyStoreTest() {
        PGSimpleDataSource ds = postgres(URL);
        try (Connection c = ds.getConnection()) {
            c.isValid(5);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + URL + " as user postgres (" + e.getMessage()
                    + "). These tests need a real server: start it (e.g. pg_ctlcluster --skip-systemctl-redirect"
                    + " $(ls /etc/postgresql) main start) or set -Dmeterstream.test.postgresql.url", e);
        }
        this.dataSource = ds;
    }

    private static PGSimpleDataSource postgres(String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setUser("postgres");
        ds.setConnectTimeout(5);
        return ds;
    }

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }

    @Override
    protected DataSource unreachableDataSource() {
        return postgres("jdbc:postgresql://127.0.0.1:1/test");
    }
}
