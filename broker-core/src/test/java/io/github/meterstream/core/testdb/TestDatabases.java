package io.github.meterstream.core.testdb;

import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The real databases CI starts, for the JDBC store kits: PostgreSQL on 127.0.0.1:5432 (user postgres,
 * database {@code test}) and MariaDB on 127.0.0.1:3306 (root, no password), or wherever
 * {@code -Dmeterstream.test.postgresql.url} / {@code -Dmeterstream.test.mariadb.url} point. A server that
 * does not answer fails the test class: skipping would let a build pass without testing that database.
 */
public final class TestDatabases {

    static final String POSTGRESQL_URL = System.getProperty("meterstream.test.postgresql.url", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String MARIADB_URL = System.getProperty("meterstream.test.mariadb.url", "jdbc:mariadb://127.0.0.1:3306/test?user=root");

    private TestDatabases() {
    }

    /** The test PostgreSQL, checked to answer. */
    public static DataSource postgres() {
        return reachable(postgres(POSTGRESQL_URL), "PostgreSQL", POSTGRESQL_URL + " as user postgres", "meterstream.test.postgresql.url");
    }

    /** A PostgreSQL data source on {@code url}, not checked (an unreachable one, for instance). */
    public static DataSource postgres(String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setUser("postgres");
        ds.setConnectTimeout(5);
        return ds;
    }

    /** The test MariaDB, checked to answer. */
    public static DataSource mariadb() {
        return reachable(mariadb(MARIADB_URL), "MariaDB", MARIADB_URL, "meterstream.test.mariadb.url");
    }

    /** A MariaDB data source on {@code url}, not checked. */
    public static DataSource mariadb(String url) {
        try {
            return new MariaDbDataSource(url + (url.contains("?") ? "&" : "?") + "connectTimeout=5000");
        } catch (SQLException e) {
            throw new IllegalArgumentException(url, e);
        }
    }

    private static DataSource reachable(DataSource ds, String name, String where, String property) {
        try (Connection c = ds.getConnection()) {
            c.isValid(5);
        } catch (SQLException e) {
            throw new IllegalStateException(name + " is not reachable at " + where + " (" + e.getMessage()
                    + "); start it with .ci/services.sh or set -D" + property, e);
        }
        return ds;
    }
}
