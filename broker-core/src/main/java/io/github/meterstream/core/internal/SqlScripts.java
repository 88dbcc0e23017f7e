package io.github.meterstream.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What broker-core's JDBC stores (idempotency, dead letters, roll-ups) share about their tables: the
 * DDL files on the class path, whether a table exists, and how a unique-key violation looks on each
 * database. Not API.
 */
public final class SqlScripts {

    /** MySQL's and MariaDB's "Duplicate entry", for drivers that report it without a standard SQLState. */
    private static final int MYSQL_ER_DUP_ENTRY = 1062;

    private SqlScripts() {
    }

    /** The text of classpath resource {@code path} (absolute, e.g. {@code /io/github/.../ddl.sql}). */
    public static String read(String path) {
        try (InputStream in = SqlScripts.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read classpath resource " + path, e);
        }
    }

    /** The statements of a DDL file: line comments dropped, split on ';' (the files hold no literal ';'). */
    public static List<String> statements(String script) {
        StringBuilder sql = new StringBuilder();
        for (String line : script.split("\n")) {
            if (!line.trim().startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        List<String> out = new ArrayList<>();
        for (String s : sql.toString().split(";")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    /** True when {@code table} exists, whichever case the database folded its name to. */
    public static boolean tableExists(Connection c, String table) throws SQLException {
        for (String candidate : new String[] {table, table.toUpperCase(Locale.ROOT), table.toLowerCase(Locale.ROOT)}) {
            try (ResultSet r = c.getMetaData().getTables(c.getCatalog(), null, candidate, new String[] {"TABLE"})) {
                if (r.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * True for a unique-key violation, the expected answer when a row is already in the table.
     * SQLState class 23 (integrity constraint violation) is the portable signal, PostgreSQL and H2
     * say 23505; the stores' inserts bind no nulls where none is allowed, so a key is the only
     * constraint they can break. A batch's chained exceptions are read too.
     */
    public static boolean isDuplicateKey(SQLException e) {
        for (SQLException x = e; x != null; x = x.getNextException()) {
            String state = x.getSQLState();
            if ((state != null && state.startsWith("23")) || x.getErrorCode() == MYSQL_ER_DUP_ENTRY) {
                return true;
            }
            if (x.getNextException() == x) {
                break;
            }
        }
        return false;
    }
}
