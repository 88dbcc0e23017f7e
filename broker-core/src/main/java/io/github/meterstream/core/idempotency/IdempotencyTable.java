package io.github.meterstream.core.idempotency;

import io.github.meterstream.core.internal.SqlScripts;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The idempotency table: its name rule, its DDL per database, and the text of every statement the
 * store runs on it. Apart from {@link JdbcIdempotencyStore}, which owns the claim protocol, so that
 * the protocol reads without SQL strings in the way and the schema is in one place.
 */
final class IdempotencyTable {

    static final String CLAIMED = "CLAIMED";
    static final String COMPLETED = "COMPLETED";

    // 63: PostgreSQL's limit, the lowest of the three. Unquoted everywhere, so H2 folding it to upper
    // case and PostgreSQL to lower case is harmless: every statement names it the same way.
    private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final Pattern DDL_TABLE_NAME = Pattern.compile("\\b" + JdbcIdempotencyStore.DEFAULT_TABLE_NAME + "\\b");
    private static final String RESOURCE_DIR = "/io/github/meterstream/core/idempotency/";

    final String table;
    final String insertClaim;
    final String selectRow;
    final String takeOverExpired;
    final String takeOverDead;
    final String renewClaim;
    final String abandonClaim;
    final String completeClaim;
    final String deleteClaim;
    final String purgeCompleted;

    /** @throws IllegalArgumentException if {@code table} is not a plain identifier */
    IdempotencyTable(String table) {
        // The name is spliced into SQL text (identifiers cannot be bind parameters), hence the strict rule.
        if (!isPlainIdentifier(table)) {
            throw new IllegalArgumentException("idempotency table name " + JdbcIdempotencyStore.TABLE_NAME.ruleTexts().get(0)
                    + ", was '" + table + "'");
        }
        this.table = table;
        String pk = " WHERE key_namespace = ? AND key_scope = ? AND key_id = ?";
        insertClaim = "INSERT INTO " + table + " (key_namespace, key_scope, key_id, fingerprint, state, claim_token,"
                + " claimed_by, lease_until, created_at, updated_at) VALUES (?, ?, ?, ?, '" + CLAIMED + "', ?, ?, ?, ?, ?)";
        selectRow = "SELECT fingerprint, state, claim_token, lease_until, claimed_by FROM " + table + pk;
        // state = CLAIMED matters as much as the token: complete() keeps the token, so a row read as
        // CLAIMED may be COMPLETED under the same token by the time this runs.
        takeOverExpired = "UPDATE " + table + " SET claim_token = ?, claimed_by = ?, lease_until = ?, updated_at = ?" + pk
                + " AND state = '" + CLAIMED + "' AND claim_token = ? AND lease_until <= ?";
        // A dead claim (abandoned by this store, or left by this node's previous life) is taken over
        // whatever its lease says; the token condition still makes one taker win.
        takeOverDead = "UPDATE " + table + " SET claim_token = ?, claimed_by = ?, lease_until = ?, updated_at = ?" + pk
                + " AND state = '" + CLAIMED + "' AND claim_token = ?";
        renewClaim = "UPDATE " + table + " SET lease_until = ?, updated_at = ?" + pk
                + " AND state = '" + CLAIMED + "' AND claim_token = ?";
        abandonClaim = "UPDATE " + table + " SET lease_until = 0, updated_at = ?" + pk
                + " AND state = '" + CLAIMED + "' AND claim_token = ?";
        completeClaim = "UPDATE " + table + " SET state = '" + COMPLETED + "', updated_at = ?" + pk
                + " AND state = '" + CLAIMED + "' AND claim_token = ?";
        deleteClaim = "DELETE FROM " + table + pk + " AND state = '" + CLAIMED + "' AND claim_token = ?";
        purgeCompleted = "DELETE FROM " + table + " WHERE state = '" + COMPLETED + "' AND updated_at < ?";
    }

    static boolean isPlainIdentifier(String name) {
        return name != null && PLAIN_IDENTIFIER.matcher(name).matches();
    }

    /** Runs the DDL for the database {@code c} reaches; returns what was applied, for the log. */
    String createIfAbsent(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName();
        String resource = ddlResourceFor(product);
        for (String statement : SqlScripts.statements(SqlScripts.read(RESOURCE_DIR + resource))) {
            try (Statement s = c.createStatement()) {
                s.execute(DDL_TABLE_NAME.matcher(statement).replaceAll(Matcher.quoteReplacement(table)));
            }
        }
        return product + " from " + resource;
    }

    static String ddlResourceFor(String databaseProductName) {
        String p = databaseProductName == null ? "" : databaseProductName.toLowerCase(Locale.ROOT);
        if (p.contains("postgresql")) {
            return "ddl-postgresql.sql";
        }
        if (p.contains("mysql") || p.contains("mariadb") || p.equals("h2")) {
            return "ddl.sql";
        }
        throw new IllegalStateException("no idempotency DDL for database '" + databaseProductName
                + "'; supported: MySQL, MariaDB, PostgreSQL, H2. Adapt " + RESOURCE_DIR + "ddl.sql and apply it by hand");
    }
}
