package io.github.meterstream.core.deadletter;

import org.junit.jupiter.api.DisplayName;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Against the real PostgreSQL CI starts on 127.0.0.1:5432 (user postgres, database {@code test});
 * {@code -Dmeterstream.test.postgresql.url=...} points elsewhere. A server that does not answer fails.
 */
@DisplayName("JdbcDeadLetterStore on PostgreSQL")
class PostgreSqlDeadLetterStoreTest extends JdbcDeadLetterStoreKit {

    private static final String URL = System.getProperty("meterstream.test.postgresql.url", "jdbc:postgresql://127.0.0.1:5432/test");

    private final DataSource dataSource;

    PostgreSqlDeadLetterStoreTest() {
        PGSimpleDataSource ds = postgres(URL);
        try (Connection c = ds.getConnection()) {
            c.isValid(5);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + URL + " as user postgres (" + e.getMessage()
                    + "); start it with .ci/services.sh or set -Dmeterstream.test.postgresql.url", e);
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
