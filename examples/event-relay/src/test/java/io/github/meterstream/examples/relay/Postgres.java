package io.github.meterstream.examples.relay;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** A fresh schema of its own in the local PostgreSQL (127.0.0.1:5432, database test, user postgres). */
final class Postgres implements AutoCloseable {

    static final String HOST_PORT = "127.0.0.1:5432";
    static final String USER = "postgres";

    final String schema = "relay_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    Postgres() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
    }

    /** The JDBC URL of this schema through {@code hostPort} (the server itself, or a proxy in front of it). */
    String url(String hostPort) {
        return "jdbc:postgresql://" + hostPort + "/test?currentSchema=" + schema;
    }

    String url() {
        return url(HOST_PORT);
    }

    /** A direct connection to the schema, never through a proxy. */
    Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), USER, "");
    }

    long count(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }
}
