package io.github.meterstream.core.idempotency;

import io.github.meterstream.core.internal.SqlScripts;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.config.ConfigKey;

import java.io.IOException;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link IdempotencyStore} in a relational database shared by every node: MySQL/MariaDB,
 * PostgreSQL or H2, the databases Kill Bill runs on. {@code claim} is atomic across processes: the
 * table's primary key lets exactly one INSERT of a key succeed, and an expired claim is taken over
 * by an UPDATE conditional on the token and lease that were read, so two nodes never both get
 * {@code CLAIMED}.
 *
 * <p><b>Clocks.</b> Leases are epoch milliseconds computed from this store's {@link Clock}, not
 * from the database's clock, so no database or session time zone can shift them. The price: the
 * nodes' clocks must agree to within a small fraction of the lease (NTP gives milliseconds; keep
 * leases in seconds or more). A node whose clock runs ahead by {@code d} sees other nodes' leases
 * expire {@code d} early and may run their message a second time.
 *
 * <p><b>Leases and dead claims.</b> A claim is renewed while its handler runs ({@link #renew}), so
 * the lease only has to outlast a node's silence, not its slowest call. Each claim records its owner
 * as {@code nodeId/instance}, where the instance is drawn once per JVM (class loader): a node
 * restarted under the same {@code nodeId} recognises the claims of its previous life as dead and
 * takes them over at once instead of waiting for their leases. So a {@code nodeId} must name one
 * live process at a time (the host name, a pod name); two running processes sharing one would take
 * each other's live claims. Claims this store {@link #abandon abandoned} while the database was
 * unreachable are remembered in memory and taken over at once by this store's next claim.
 *
 * <p><b>Schema.</b> One row per key, in a table created by {@link #createTableIfAbsent()} or by an
 * operator from the classpath resources {@code io/github/meterstream/core/idempotency/ddl.sql}
 * (MySQL, MariaDB, H2) and {@code ddl-postgresql.sql}. Completed rows are kept until
 * {@link #purgeCompletedBefore(Instant)} deletes them; how long to remember is the operator's (or
 * the plugin's) decision, since a message redelivered after its row is purged is handled again.
 *
 * <p><b>Failures.</b> Every {@link SQLException} (database down, connection refused, pool
 * exhausted) is thrown as a {@link TransientFailure} naming the operation and the key: the pipeline
 * retries the message and, when the failures persist, pauses consumption until the database is
 * back. Each operation borrows one connection from the {@link DataSource} and returns it before
 * returning, so give the store a pooled data source in production.
 *
 * <p>(Over 400 lines on purpose: the claim protocol, claim, take-over, renew, abandon, release and
 * complete, is one state machine over one row and reads best in one place; its SQL text and DDL
 * are in {@code IdempotencyTable}, about half of the rest is this specification.)
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

    public static final String DEFAULT_TABLE_NAME = "meterstream_idempotency";

    /** The table name as an operator configures it; the same rule guards the constructor. */
    public static final ConfigKey<String> TABLE_NAME = ConfigKey.string("idempotency.jdbc.table", DEFAULT_TABLE_NAME,
                    "Table of the JDBC idempotency store, shared by every node consuming the same messages")
            .rule(JdbcIdempotencyStore::isPlainIdentifier, "must be a plain SQL identifier: a letter or '_', then"
                    + " letters, digits or '_', at most 63 characters");

    /** This node's name in claims; unset, {@link #defaultNodeId()}. */
    public static final ConfigKey<String> NODE_ID = ConfigKey.string("idempotency.jdbc.node-id", null,
                    "Names this node in its idempotency claims. Set it to a name stable across restarts and never shared by "
                            + "two running nodes (a pod or host name when one node runs per host): a restarted node then takes back "
                            + "its dead claims at once. Two running nodes with one name would take each other's live claims for "
                            + "dead. Unset: the host name plus a random suffix, unique per run, so a restarted node waits one lease.")
            .rule(v -> v == null || isValidNodeId(v), "must be 1 to 200 characters without '/'");

    private static final Logger LOG = LoggerFactory.getLogger(JdbcIdempotencyStore.class);

    // Each attempt that loses a race saw the row change between two statements, i.e. another node
    // claimed, released or completed it just then. Giving up after a few and answering IN_PROGRESS
    // makes the pipeline retry later, which is right: someone else is acting on that key.
    private static final int MAX_CLAIM_ATTEMPTS = 5;
    // MySQL and MariaDB report every integrity violation as SQLState 23000; ER_DUP_ENTRY tells which.
    private static final int MYSQL_ER_DUP_ENTRY = 1062;
    // Drawn once per class loader: every store object of this process shares it, so stores of two
    // pipelines in one JVM never mistake each other's live claims for a previous life's.
    private static final String INSTANCE = UUID.randomUUID().toString().substring(0, 8);
    // Tokens abandoned while the database could not record it; bounded: a token evicted from here
    // only means waiting for its lease, as before.
    private static final int MAX_REMEMBERED_ABANDONED = 10_000;

    private final DataSource dataSource;
    private final String table;
    private final Clock clock;
    private final String nodeId;
    private final String owner;
    private final Set<String> abandonedTokens = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<String, Boolean>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > MAX_REMEMBERED_ABANDONED;
                }
            }));

    private final IdempotencyTable sql;

    /**
     * A store in {@code tableName} of {@code dataSource}.
     *
     * @param tableName a plain SQL identifier (see {@link #TABLE_NAME}), usually {@link #DEFAULT_TABLE_NAME}
     * @param clock     the source of lease times; every node's clock must agree (see the class comment)
     * @param nodeId    names this node, stable across its restarts and unique among running nodes
     *                  (at most 200 characters): a restarted node takes back its dead claims at once
     * @throws IllegalArgumentException if {@code tableName} is not a plain identifier
     */
    public JdbcIdempotencyStore(DataSource dataSource, String tableName, Clock clock, String nodeId) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.table = Objects.requireNonNull(tableName, "tableName");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        if (!isValidNodeId(nodeId)) {
            throw new IllegalArgumentException("idempotency node id " + NODE_ID.ruleTexts().get(0) + ", was '" + nodeId + "'");
        }
        this.owner = nodeId + '/' + INSTANCE;
        this.sql = new IdempotencyTable(tableName);
    }

    /** A store in {@link #DEFAULT_TABLE_NAME}, with leases from the system clock. */
    public JdbcIdempotencyStore(DataSource dataSource, String nodeId) {
        this(dataSource, DEFAULT_TABLE_NAME, Clock.systemUTC(), nodeId);
    }

    static boolean isValidNodeId(String nodeId) {
        return !nodeId.isEmpty() && nodeId.length() <= 200 && nodeId.indexOf('/') < 0;
    }

    /**
     * The node id when none is configured: this host's name plus a suffix drawn once per JVM. Unique
     * per run, so it is safe when several nodes share a host (two Kill Bill servers on one machine
     * took each other's live claims for dead when the default was the bare host name); the price is
     * that a restarted node waits one lease for the claims of its crashed run. A configured stable
     * id removes that wait.
     */
    public static String defaultNodeId() {
        String host = hostName();
        return (host.length() > 190 ? host.substring(0, 190) : host) + '-' + INSTANCE;
    }

    private static String hostName() {
        String name = null;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = System.getenv("HOSTNAME");
        }
        if (name == null || name.isBlank()) {
            name = "localhost";
        }
        return name.replace('/', '_');
    }

    static boolean isPlainIdentifier(String name) {
        return IdempotencyTable.isPlainIdentifier(name);
    }

    /**
     * Creates the table unless it exists, with the DDL for the database the data source reaches:
     * {@code ddl-postgresql.sql} for PostgreSQL, {@code ddl.sql} for MySQL, MariaDB and H2 (in any
     * compatibility mode). An existing table is left as it is, even if its columns differ.
     *
     * @throws IllegalStateException for another database; apply one of the DDL files by hand instead
     */
    public void createTableIfAbsent() {
        try (Connection c = dataSource.getConnection()) {
            String applied = sql.createIfAbsent(c);
            LOG.info("Idempotency table {} is ready ({}), node {}", table, applied, nodeId);
        } catch (SQLException e) {
            throw new TransientFailure("could not create idempotency table " + table + ": " + e.getMessage(), e);
        }
    }

    static String ddlResourceFor(String databaseProductName) {
        return IdempotencyTable.ddlResourceFor(databaseProductName);
    }

    // Every statement runs in autocommit mode, on its own: the INSERT that may hit the primary key,
    // the SELECT and the conditional UPDATE. No transaction spans them, and none is needed, because
    // each write re-checks in its WHERE clause what was read (optimistic concurrency) and the
    // primary key arbitrates concurrent INSERTs. It also sidesteps PostgreSQL, which aborts the
    // whole transaction after the failed INSERT, and long-held row locks on MySQL.
    @Override
    public ClaimResult claim(IdempotencyKey key, String fingerprint, Duration lease) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(lease, "lease");
        long now = clock.millis();
        long leaseUntil = now + lease.toMillis();
        try (Connection c = autoCommitConnection()) {
            for (int attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
                String token = UUID.randomUUID().toString();
                if (insertClaim(c, key, fingerprint, token, leaseUntil, now)) {
                    return ClaimResult.claimed(token);
                }
                try (PreparedStatement s = c.prepareStatement(sql.selectRow)) {
                    bindKey(s, 1, key);
                    try (ResultSet rs = s.executeQuery()) {
                        if (!rs.next()) {
                            continue; // released or purged since the INSERT failed: insert again
                        }
                        String storedFingerprint = rs.getString(1);
                        String state = rs.getString(2);
                        String storedToken = rs.getString(3);
                        long storedLeaseUntil = rs.getLong(4);
                        String storedOwner = rs.getString(5);
                        if (!storedFingerprint.equals(fingerprint)) {
                            return ClaimResult.conflict(storedFingerprint);
                        }
                        if (IdempotencyTable.COMPLETED.equals(state)) {
                            return ClaimResult.duplicate();
                        }
                        if (storedLeaseUntil > now) {
                            String dead = deadClaimReason(storedToken, storedOwner);
                            if (dead == null) {
                                return ClaimResult.inProgress();
                            }
                            if (takeOver(c, sql.takeOverDead, key, storedToken, token, leaseUntil, now, false)) {
                                abandonedTokens.remove(storedToken);
                                LOG.info("Node {} took over the claim on {} at once: {}", owner, key, dead);
                                return ClaimResult.takenOver(token);
                            }
                        } else if (takeOver(c, sql.takeOverExpired, key, storedToken, token, leaseUntil, now, true)) {
                            abandonedTokens.remove(storedToken);
                            LOG.info("Node {} took over the expired claim on {} from {} (lease ended {} ms ago)",
                                    owner, key, storedOwner, now - storedLeaseUntil);
                            return ClaimResult.takenOver(token);
                        }
                    }
                }
            }
            LOG.debug("Claim on {} lost {} races in a row; answering IN_PROGRESS", key, MAX_CLAIM_ATTEMPTS);
            return ClaimResult.inProgress();
        } catch (SQLException e) {
            throw unavailable("claim", key, e);
        }
    }

    /** Why a live claim is known to be dead, or null if it may be alive. */
    private String deadClaimReason(String storedToken, String storedOwner) {
        if (abandonedTokens.contains(storedToken)) {
            return "this node abandoned it while the database was unreachable";
        }
        if (storedOwner != null && !storedOwner.equals(owner) && storedOwner.startsWith(nodeId + '/')) {
            return "it was held by " + storedOwner + ", a previous run of this node";
        }
        return null;
    }

    private boolean insertClaim(Connection c, IdempotencyKey key, String fingerprint, String token, long leaseUntil,
                                long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql.insertClaim)) {
            int i = bindKey(s, 1, key);
            s.setString(i++, fingerprint);
            s.setString(i++, token);
            s.setString(i++, owner);
            s.setLong(i++, leaseUntil);
            s.setLong(i++, now);
            s.setLong(i, now);
            s.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (isDuplicateKey(e)) {
                return false;
            }
            throw e;
        }
    }

    private boolean takeOver(Connection c, String sql, IdempotencyKey key, String oldToken, String newToken,
                             long leaseUntil, long now, boolean onlyIfExpired) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, newToken);
            s.setString(2, owner);
            s.setLong(3, leaseUntil);
            s.setLong(4, now);
            int i = bindKey(s, 5, key);
            s.setString(i++, oldToken);
            if (onlyIfExpired) {
                s.setLong(i, now);
            }
            return s.executeUpdate() == 1;
        }
    }

    static boolean isDuplicateKey(SQLException e) {
        return SqlScripts.isDuplicateKey(e);
    }

    @Override
    public void complete(IdempotencyKey key, String claimToken) {
        Objects.requireNonNull(key, "key");
        try (Connection c = autoCommitConnection(); PreparedStatement s = c.prepareStatement(sql.completeClaim)) {
            s.setLong(1, clock.millis());
            int i = bindKey(s, 2, key);
            s.setString(i, claimToken);
            if (s.executeUpdate() == 0) {
                LOG.debug("Completion of {} ignored: token {} no longer holds the claim", key, claimToken);
            }
        } catch (SQLException e) {
            throw unavailable("complete", key, e);
        }
    }

    @Override
    public boolean renew(IdempotencyKey key, String claimToken, Duration lease) {
        Objects.requireNonNull(key, "key");
        long now = clock.millis();
        try (Connection c = autoCommitConnection(); PreparedStatement s = c.prepareStatement(sql.renewClaim)) {
            s.setLong(1, now + lease.toMillis());
            s.setLong(2, now);
            int i = bindKey(s, 3, key);
            s.setString(i, claimToken);
            return s.executeUpdate() == 1;
        } catch (SQLException e) {
            throw unavailable("renew", key, e);
        }
    }

    @Override
    public void abandon(IdempotencyKey key, String claimToken) {
        Objects.requireNonNull(key, "key");
        // Remembered before the database is asked: if it cannot be reached, this store's next claim
        // of the key still knows that this claim is dead.
        abandonedTokens.add(claimToken);
        try (Connection c = autoCommitConnection(); PreparedStatement s = c.prepareStatement(sql.abandonClaim)) {
            s.setLong(1, clock.millis());
            int i = bindKey(s, 2, key);
            s.setString(i, claimToken);
            s.executeUpdate();
            abandonedTokens.remove(claimToken); // recorded in the table: any node may take it over now
        } catch (SQLException e) {
            throw unavailable("abandon", key, e);
        }
    }

    @Override
    public void release(IdempotencyKey key, String claimToken) {
        Objects.requireNonNull(key, "key");
        try (Connection c = autoCommitConnection(); PreparedStatement s = c.prepareStatement(sql.deleteClaim)) {
            int i = bindKey(s, 1, key);
            s.setString(i, claimToken);
            if (s.executeUpdate() == 0) {
                LOG.debug("Release of {} ignored: token {} no longer holds the claim", key, claimToken);
            }
        } catch (SQLException e) {
            throw unavailable("release", key, e);
        }
    }

    /**
     * Forgets keys completed before {@code cutoff}, so that the table does not grow forever. Claims
     * in progress are never purged. A message redelivered after its key is purged is handled
     * again, so keep keys longer than the brokers may redeliver and producers may resend; when and
     * with which cutoff to call this is the operator's (or the plugin's) decision, this store never
     * calls it. One DELETE statement: on a very large backlog, purge in steps of increasing cutoff.
     *
     * @return the number of keys deleted
     */
    public int purgeCompletedBefore(Instant cutoff) {
        Objects.requireNonNull(cutoff, "cutoff");
        try (Connection c = autoCommitConnection(); PreparedStatement s = c.prepareStatement(sql.purgeCompleted)) {
            s.setLong(1, cutoff.toEpochMilli());
            int deleted = s.executeUpdate();
            LOG.info("Purged {} idempotency keys completed before {} from {}", deleted, cutoff, table);
            return deleted;
        } catch (SQLException e) {
            throw new TransientFailure("idempotency store could not purge keys completed before " + cutoff
                    + " from table " + table + ": " + e.getMessage(), e);
        }
    }

    /** A connection in autocommit mode; a pool resets what we change when the connection returns. */
    private Connection autoCommitConnection() throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            return c;
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static int bindKey(PreparedStatement s, int first, IdempotencyKey key) throws SQLException {
        s.setString(first, key.namespace());
        s.setString(first + 1, key.scope());
        s.setString(first + 2, key.id());
        return first + 3;
    }

    private TransientFailure unavailable(String operation, IdempotencyKey key, SQLException e) {
        return new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "idempotency store could not " + operation
                + " key " + key + " in table " + table + ": " + e.getMessage(), key.namespace(), key.id(), e);
    }

    @Override
    public String toString() {
        return "JdbcIdempotencyStore[table=" + table + ", node=" + owner + "]";
    }
}
