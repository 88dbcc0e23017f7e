package io.github.meterstream.core.deadletter;

import org.junit.jupiter.api.DisplayName;
import org.mariadb.jdbc.MariaDbDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Against the real MariaDB CI starts on 127.0.0.1:3306 (user root, no password, database {@code test}),
 * Kill Bill's reference database; {@code -Dmeterstream.test.mariadb.url=...} points elsewhere.
 */
@DisplayName("JdbcDeadLetterStore on MariaDB")
class MariaDbDeadLetterStoreTest extends JdbcDeadLetterStoreKit {

    private static final String URL = System.getProperty("meterstream.test.mariadb.url", "jdbc:mariadb://127.0.0.1:3306/test?user=root");

    private final DataSource dataSource;

    MariaDbDeadLetterStoreTest() {
        DataSource ds = mariadb(URL);
        try (Connection c = ds.getConnection()) {
            c.isValid(5);
        } catch (SQLException e) {
            throw new IllegalStateException("MariaDB is not reachable at " + URL + " (" + e.getMessage()
                    + "); start it with .ci/services.sh or set -Dmeterstream.test.mariadb.url", e);
        }
        this.dataSource = ds;
    }

    private static DataSource mariadb(String url) {
        try {
            return new MariaDbDataSource(url + (url.contains("?") ? "&" : "?") + "connectTimeout=5000");
        } catch (SQLException e) {
            throw new IllegalArgumentException(url, e);
        }
    }

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }

    @Override
    protected DataSource unreachableDataSource() {
        return mariadb("jdbc:mariadb://127.0.0.1:1/test?user=root");
    }
}
