package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.internal.SqlScripts;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dead-letter table: its name rule, its DDL per database, and the text of every statement
 * {@link JdbcDeadLetterStore} runs, so that the store reads without SQL in the way.
 */
final class DeadLetterTable {

    static final String DDL_MYSQL = "ddl.sql";
    static final String DDL_POSTGRESQL = "ddl-postgresql.sql";
    // 48: the index names add up to 12 characters, and MySQL's identifiers stop at 64
    private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,47}");
    private static final String RESOURCE_DIR = "/io/github/meterstream/core/deadletter/";
    private static final String COLUMNS = "id, source, tenant, reason_code, reason, tracking_id, subject, destination, partition_id,"
            + " position_id, attempts, first_seen, last_seen, times_seen, payload_length, state, state_at, state_by, replay_outcome,"
            + " replay_detail, replay_at";

    final String name;
    final String insert;
    final String sighting;
    final String countTenant;
    final String countNoTenant;
    final String oldestTenant;
    final String oldestNoTenant;
    final String deleteById;
    final String discard;
    final String replayedClosed;
    final String replayedOpen;
    final String purge;

    DeadLetterTable(String name) {
        // spliced into SQL text (identifiers cannot be bind parameters), hence the strict rule
        if (name == null || !PLAIN_IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("dead-letter table name must be a plain SQL identifier of at most 48 characters"
                    + " (letters, digits, underscores; not starting with a digit), was '" + name + "'");
        }
        this.name = name;
        insert = "INSERT INTO " + name + " (id, source, tenant, reason_code, reason, tracking_id, subject, destination, partition_id,"
                + " position_id, attempts, first_seen, last_seen, times_seen, payload, payload_length, state, state_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 'REJECTED', ?)";
        // a new sighting opens the entry again: the message came back and was refused again
        sighting = "UPDATE " + name + " SET times_seen = times_seen + 1, last_seen = ?, reason = ?, attempts = ?, position_id = ?,"
                + " state = 'REJECTED', state_at = ?, state_by = NULL WHERE id = ?";
        countTenant = "SELECT COUNT(*) FROM " + name + " WHERE tenant = ?";
        countNoTenant = "SELECT COUNT(*) FROM " + name + " WHERE tenant IS NULL";
        oldestTenant = "SELECT id FROM " + name + " WHERE tenant = ? ORDER BY last_seen, id LIMIT ?";
        oldestNoTenant = "SELECT id FROM " + name + " WHERE tenant IS NULL ORDER BY last_seen, id LIMIT ?";
        deleteById = "DELETE FROM " + name + " WHERE id = ?";
        discard = "UPDATE " + name + " SET state = 'DISCARDED', state_at = ?, state_by = ? WHERE id = ?";
        replayedClosed = "UPDATE " + name + " SET replay_outcome = ?, replay_detail = ?, replay_at = ?, state = 'REPLAYED',"
                + " state_at = ?, state_by = ? WHERE id = ?";
        replayedOpen = "UPDATE " + name + " SET replay_outcome = ?, replay_detail = ?, replay_at = ? WHERE id = ?";
        purge = "DELETE FROM " + name + " WHERE last_seen < ?";
    }

    String select(boolean withPayload) {
        return "SELECT " + COLUMNS + (withPayload ? ", payload" : "") + " FROM " + name;
    }

    /** A WHERE clause and its parameters, from a query's filters. */
    static final class Where {
        final String sql;
        private final List<Object> params;

        Where(String sql, List<Object> params) {
            this.sql = sql;
            this.params = params;
        }

        void bind(PreparedStatement s) throws SQLException {
            for (int i = 0; i < params.size(); i++) {
                Object p = params.get(i);
                if (p instanceof Long) {
                    s.setLong(i + 1, (Long) p);
                } else {
                    s.setString(i + 1, (String) p);
                }
            }
        }
    }

    Where where(RejectionQuery q) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        add(conditions, params, "tenant = ?", q.tenant);
        add(conditions, params, "reason_code = ?", q.reasonCode);
        add(conditions, params, "subject = ?", q.subject);
        add(conditions, params, "source = ?", q.source);
        add(conditions, params, "state = ?", q.state == null ? null : q.state.name());
        add(conditions, params, "last_seen >= ?", q.seenFrom == null ? null : q.seenFrom.toEpochMilli());
        add(conditions, params, "last_seen < ?", q.seenBefore == null ? null : q.seenBefore.toEpochMilli());
        return new Where(conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions), params);
    }

    private static void add(List<String> conditions, List<Object> params, String condition, Object value) {
        if (value != null) {
            conditions.add(condition);
            params.add(value);
        }
    }

    /** Creates the table and its indexes unless the table exists; a concurrent creation by another node is not an error. */
    void createIfAbsent(Connection c) throws SQLException {
        if (SqlScripts.tableExists(c, name)) {
            return;
        }
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        String resource;
        if (product.contains("postgresql")) {
            resource = DDL_POSTGRESQL;
        } else if (product.contains("mysql") || product.contains("mariadb") || product.equals("h2")) {
            resource = DDL_MYSQL;
        } else {
            throw new IllegalStateException("no dead-letter table DDL for database '" + product + "'; supported: MySQL, MariaDB,"
                    + " PostgreSQL, H2. Adapt " + RESOURCE_DIR + DDL_MYSQL + " and apply it by hand");
        }
        for (String statement : SqlScripts.statements(read(resource))) {
            String sql = statement.replace(JdbcDeadLetterStore.DEFAULT_TABLE_NAME, name);
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            } catch (SQLException e) {
                // two nodes starting at once: the other one created the index first
                if (!sql.startsWith("CREATE INDEX") || !SqlScripts.tableExists(c, name)) {
                    throw e;
                }
            }
        }
    }

    static String read(String resource) {
        return SqlScripts.read(RESOURCE_DIR + resource);
    }

    /** The column names of the CREATE TABLE in {@code script}, in order. */
    static List<String> columns(String script) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("^\\s{4}([a-z_]+) [A-Z]", Pattern.MULTILINE).matcher(script);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
