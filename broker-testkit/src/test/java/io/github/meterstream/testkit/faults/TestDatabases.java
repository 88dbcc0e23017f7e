package io.github.meterstream.testkit.faults;

import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/** The real databases of this machine (see .ci/services.sh), reached directly or through a fault proxy. */
final class TestDatabases {

    static final String POSTGRESQL_HOST = "127.0.0.1";
    static final int POSTGRESQL_PORT = Integer.getInteger("meterstream.test.postgresql.port", 5432);
    static final String MARIADB_HOST = "127.0.0.1";
    static final int MARIADB_PORT = Integer.getInteger("meterstream.test.mariadb.port", 3306);

    private TestDatabases() {
    }

    static DataSource postgresql(int port) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl("jdbc:postgresql://" + POSTGRESQL_HOST + ":" + port + "/test?connectTimeout=5&socketTimeout=30");
        ds.setUser("postgres");
        return reachable(ds, "PostgreSQL", port);
    }

    static DataSource mariadb(int port) {
        try {
            MariaDbDataSource ds = new MariaDbDataSource("jdbc:mariadb://" + MARIADB_HOST + ":" + port
                    + "/test?user=root&connectTimeout=5000&socketTimeout=30000");
            return reachable(ds, "MariaDB", port);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static DataSource reachable(DataSource ds, String name, int port) {
        try (Connection c = ds.getConnection()) {
            return ds;
        } catch (SQLException e) {
            throw new AssertionError(name + " is not reachable on 127.0.0.1:" + port + " (start it with .ci/services.sh)", e);
        }
    }
}
