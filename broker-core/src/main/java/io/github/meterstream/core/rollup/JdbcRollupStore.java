package io.github.meterstream.core.rollup;

import io.github.meterstream.core.internal.SqlScripts;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Stages events and flushes them per group as {@link Rollup}s, in three tables of a relational
 * database (PostgreSQL, MySQL, MariaDB, H2) named after one prefix. See the package documentation for
 * what exactly once rests on. Thread-safe; any number of nodes may share the tables.
 */
public final class JdbcRollupStore {

    /** The table prefix unless told otherwise. */
    public static final String DEFAULT_PREFIX = "meterstream_rollup";

    /** What staging did with one event. */
    public enum Staged {
        /** A new row. */
        STAGED,
        /** Staged before with the same content (a redelivery): nothing changed. */
        DUPLICATE,
        /** Staged before with other content under the same id: refused, the first stays. */
        CONFLICT
    }

    private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,39}");
    private static final String RESOURCE_DIR = "/io/github/meterstream/core/rollup/";
    private static final int IN_CHUNK = 500;

    private final DataSource dataSource;
    private final String prefix;
    private final String groups;
    private final String events;
    private final String rollups;
    private final Clock clock;

    /** @param prefix a plain SQL identifier of at most 40 characters, usually {@link #DEFAULT_PREFIX} */
    public JdbcRollupStore(DataSource dataSource, String prefix, Clock clock) {
        if (prefix == null || !PLAIN_IDENTIFIER.matcher(prefix).matches()) {
            throw new IllegalArgumentException("roll-up table prefix must be a plain SQL identifier of at most 40 characters"
                    + " (letters, digits, underscores; not starting with a digit), was '" + prefix + "'");
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.prefix = prefix;
        this.groups = prefix + "_group";
        this.events = prefix + "_event";
        this.rollups = prefix + "_rollup";
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Creates the three tables and their indexes unless the event table exists; safe on several nodes at once. */
    public void createTablesIfAbsent() {
        try (Connection c = dataSource.getConnection()) {
            if (SqlScripts.tableExists(c, events)) {
                return;
            }
            String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
            String resource = product.contains("postgresql") ? "ddl-postgresql.sql" : "ddl.sql";
            for (String statement : SqlScripts.statements(SqlScripts.read(RESOURCE_DIR + resource))) {
                String sql = statement.replace(DEFAULT_PREFIX, prefix);
                try (Statement s = c.createStatement()) {
                    s.execute(sql);
                } catch (SQLException e) {
                    if (!sql.startsWith("CREATE INDEX")) {
                        throw e;
                    }
                    // another node created it first
                }
            }
        } catch (SQLException e) {
            throw unavailable("create the roll-up tables " + prefix + "_*", e);
        }
    }

    /**
     * Stages {@code batch} in one transaction (one commit for all: group commit), each event once per
     * group; returns what became of each, in order.
     */
    public List<Staged> stage(List<StagedEvent> batch) {
        if (batch.isEmpty()) {
            return List.of();
        }
        try (Connection c = dataSource.getConnection()) {
            ensureGroups(c, batch);
            for (int attempt = 1; ; attempt++) {
                try {
                    return stageOnce(c, batch);
                } catch (SQLException e) {
                    // another node staged one of these ids between our read and our insert: read again
                    if (attempt >= 3 || !SqlScripts.isDuplicateKey(e)) {
                        throw e;
                    }
                }
            }
        } catch (SQLException e) {
            throw unavailable("stage " + batch.size() + " event(s) in " + events, e);
        }
    }

    private List<Staged> stageOnce(Connection c, List<StagedEvent> batch) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            Map<String, String> known = fingerprints(c, batch);
            List<Staged> out = new ArrayList<>(batch.size());
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + events + " (group_key, event_id, bucket, amount,"
                    + " fingerprint, lineage, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                int pending = 0;
                for (StagedEvent e : batch) {
                    String key = e.group() + '\u0000' + e.id();
                    String before = known.get(key);
                    if (before != null) {
                        out.add(before.equals(e.fingerprint()) ? Staged.DUPLICATE : Staged.CONFLICT);
                        continue;
                    }
                    known.put(key, e.fingerprint());
                    insert.setString(1, e.group());
                    insert.setString(2, e.id());
                    insert.setString(3, e.bucket());
                    insert.setBigDecimal(4, e.amount());
                    insert.setString(5, e.fingerprint());
                    insert.setString(6, e.lineage() == null || e.lineage().length() <= 1000 ? e.lineage() : e.lineage().substring(0, 1000));
                    insert.setLong(7, e.receivedAt().toEpochMilli());
                    insert.addBatch();
                    pending++;
                    out.add(Staged.STAGED);
                }
                if (pending > 0) {
                    insert.executeBatch();
                }
            }
            c.commit();
            return out;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** The fingerprints of the batch's events staged already, keyed by group and id. */
    private Map<String, String> fingerprints(Connection c, List<StagedEvent> batch) throws SQLException {
        Map<String, Set<String>> idsByGroup = new LinkedHashMap<>();
        batch.forEach(e -> idsByGroup.computeIfAbsent(e.group(), g -> new LinkedHashSet<>()).add(e.id()));
        Map<String, String> out = new java.util.HashMap<>();
        for (Map.Entry<String, Set<String>> g : idsByGroup.entrySet()) {
            List<String> ids = new ArrayList<>(g.getValue());
            for (int from = 0; from < ids.size(); from += IN_CHUNK) {
                List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
                String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement s = c.prepareStatement("SELECT event_id, fingerprint FROM " + events
                        + " WHERE group_key = ? AND event_id IN (" + marks + ")")) {
                    s.setString(1, g.getKey());
                    for (int i = 0; i < chunk.size(); i++) {
                        s.setString(i + 2, chunk.get(i));
                    }
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            out.put(g.getKey() + '\u0000' + r.getString(1), r.getString(2));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Each group of the batch has its row (what a flush locks); inserted in their own statements, outside the batch's transaction. */
    private void ensureGroups(Connection c, List<StagedEvent> batch) throws SQLException {
        Set<String> keys = new LinkedHashSet<>();
        batch.forEach(e -> keys.add(e.group()));
        for (String group : keys) {
            boolean present;
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM " + groups + " WHERE group_key = ?")) {
                s.setString(1, group);
                try (ResultSet r = s.executeQuery()) {
                    present = r.next();
                }
            }
            if (!present) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO " + groups + " (group_key, created_at) VALUES (?, ?)")) {
                    s.setString(1, group);
                    s.setLong(2, clock.millis());
                    s.executeUpdate();
                } catch (SQLException e) {
                    if (!SqlScripts.isDuplicateKey(e)) {
                        throw e;
                    }
                }
            }
        }
    }

    /** Groups with events waiting for a roll-up or a roll-up waiting to be sent, at most {@code max}. */
    public List<String> groupsToFlush(int max) {
        return groupsToFlush(max, null);
    }

    /** {@link #groupsToFlush(int)} counting only events whose bucket sorts before {@code bucketsBefore} (null: all). */
    public List<String> groupsToFlush(int max, String bucketsBefore) {
        Set<String> out = new LinkedHashSet<>();
        try (Connection c = dataSource.getConnection()) {
            for (String sql : new String[] {"SELECT DISTINCT group_key FROM " + rollups + " WHERE state = 'PENDING'",
                    "SELECT DISTINCT group_key FROM " + events + " WHERE rollup_id IS NULL" + (bucketsBefore == null ? "" : " AND bucket < ?")}) {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    if (sql.endsWith("?")) {
                        s.setString(1, bucketsBefore);
                    }
                    s.setMaxRows(max);
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next() && out.size() < max) {
                            out.add(r.getString(1));
                        }
                    }
                }
            }
            return new ArrayList<>(out);
        } catch (SQLException e) {
            throw unavailable("list the groups to flush in " + events, e);
        }
    }

    /**
     * Flushes {@code group}: composes a roll-up of its unflushed events (committed, as pending, before
     * anything is sent), then sends every pending roll-up of the group to {@code sink} while holding
     * the group's row lock, marking each recorded when the sink returns.
     *
     * @return the roll-ups the sink took
     * @throws RollupSendException when the sink threw: the roll-up stays pending, to be sent again
     */
    public List<Rollup> flush(String group, RollupSink sink) {
        return flush(group, null, sink);
    }

    /**
     * {@link #flush(String, RollupSink)} of the events whose bucket sorts before {@code bucketsBefore}
     * only (null: all): closed windows, when buckets are window starts written so that they sort in
     * time order (instants in one fixed format do, e.g. always with milliseconds; {@code Instant.toString()}
     * does not: it drops a zero fraction).
     */
    public List<Rollup> flush(String group, String bucketsBefore, RollupSink sink) {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                compose(c, group, bucketsBefore);
                c.commit();
                List<Rollup> sent = send(c, group, sink);
                c.commit();
                return sent;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw unavailable("flush group " + group + " in " + events, e);
        }
    }

    private void lockGroup(Connection c, String group) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT group_key FROM " + groups + " WHERE group_key = ? FOR UPDATE")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                r.next();
            }
        }
    }

    /** Under the group's lock: unless a roll-up is pending already, one new pending roll-up takes every unflushed event. */
    private void compose(Connection c, String group, String bucketsBefore) throws SQLException {
        lockGroup(c, group);
        if (!pending(c, group).isEmpty()) {
            return; // sent first; newer events go in the next roll-up
        }
        String id = UUID.randomUUID().toString();
        int taken;
        try (PreparedStatement s = c.prepareStatement("UPDATE " + events + " SET rollup_id = ? WHERE group_key = ? AND rollup_id IS NULL"
                + (bucketsBefore == null ? "" : " AND bucket < ?"))) {
            s.setString(1, id);
            s.setString(2, group);
            if (bucketsBefore != null) {
                s.setString(3, bucketsBefore);
            }
            taken = s.executeUpdate();
        }
        if (taken == 0) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO " + rollups + " (rollup_id, group_key, state, events, created_at)"
                + " VALUES (?, ?, 'PENDING', ?, ?)")) {
            s.setString(1, id);
            s.setString(2, group);
            s.setInt(3, taken);
            s.setLong(4, clock.millis());
            s.executeUpdate();
        }
    }

    private List<Rollup> send(Connection c, String group, RollupSink sink) throws SQLException {
        lockGroup(c, group);
        List<Rollup> sent = new ArrayList<>();
        for (Rollup r : pending(c, group)) {
            try {
                sink.send(r);
            } catch (Exception e) {
                throw new RollupSendException(r, e);
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE " + rollups + " SET state = 'RECORDED', recorded_at = ?"
                    + " WHERE rollup_id = ? AND state = 'PENDING'")) {
                s.setLong(1, clock.millis());
                s.setString(2, r.id());
                s.executeUpdate();
            }
            sent.add(r);
        }
        return sent;
    }

    /** The group's pending roll-ups, oldest first, with their sums. */
    private List<Rollup> pending(Connection c, String group) throws SQLException {
        List<Rollup> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT rollup_id, events, created_at FROM " + rollups
                + " WHERE group_key = ? AND state = 'PENDING' ORDER BY created_at, rollup_id")) {
            s.setString(1, group);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Rollup(r.getString(1), group, Map.of(), r.getInt(2), Instant.ofEpochMilli(r.getLong(3))));
                }
            }
        }
        List<Rollup> withSums = new ArrayList<>(out.size());
        for (Rollup r : out) {
            withSums.add(new Rollup(r.id(), group, sums(c, r.id()), r.events(), r.createdAt()));
        }
        return withSums;
    }

    private Map<String, BigDecimal> sums(Connection c, String rollupId) throws SQLException {
        Map<String, BigDecimal> sums = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT bucket, SUM(amount) FROM " + events + " WHERE rollup_id = ? GROUP BY bucket")) {
            s.setString(1, rollupId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    sums.put(r.getString(1), r.getBigDecimal(2).stripTrailingZeros());
                }
            }
        }
        return sums;
    }

    /** The events a roll-up sums (lineage), in the order they were staged. */
    public List<StagedEvent> eventsOf(String rollupId) {
        List<StagedEvent> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("SELECT group_key, event_id, bucket,"
                + " amount, fingerprint, lineage, received_at FROM " + events + " WHERE rollup_id = ? ORDER BY received_at, event_id")) {
            s.setString(1, rollupId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new StagedEvent(r.getString(1), r.getString(2), r.getString(3), r.getBigDecimal(4).stripTrailingZeros(),
                            r.getString(5), r.getString(6), Instant.ofEpochMilli(r.getLong(7))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw unavailable("read the events of roll-up " + rollupId, e);
        }
    }

    /** The roll-up that took event {@code id} of {@code group}; empty while it waits for one (or was never staged). */
    public Optional<String> rollupOf(String group, String id) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("SELECT rollup_id FROM " + events
                + " WHERE group_key = ? AND event_id = ?")) {
            s.setString(1, group);
            s.setString(2, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw unavailable("read the roll-up of event " + id, e);
        }
    }

    /**
     * Deletes up to {@code maxRollups} roll-ups recorded before {@code cutoff}, with their events (the
     * dedupe window ends there: an event redelivered after its row is gone is staged again).
     *
     * @return the events deleted
     */
    public int purgeRecordedBefore(Instant cutoff, int maxRollups) {
        try (Connection c = dataSource.getConnection()) {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT rollup_id FROM " + rollups
                    + " WHERE state = 'RECORDED' AND recorded_at < ? ORDER BY recorded_at")) {
                s.setLong(1, cutoff.toEpochMilli());
                s.setMaxRows(maxRollups);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getString(1));
                    }
                }
            }
            int deleted = 0;
            for (String id : ids) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM " + events + " WHERE rollup_id = ?")) {
                    s.setString(1, id);
                    deleted += s.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement("DELETE FROM " + rollups + " WHERE rollup_id = ?")) {
                    s.setString(1, id);
                    s.executeUpdate();
                }
            }
            return deleted;
        } catch (SQLException e) {
            throw unavailable("purge recorded roll-ups in " + rollups, e);
        }
    }

    private static IllegalStateException unavailable(String what, SQLException e) {
        return new IllegalStateException("could not " + what + ": " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "JdbcRollupStore{" + prefix + "_*}";
    }
}
