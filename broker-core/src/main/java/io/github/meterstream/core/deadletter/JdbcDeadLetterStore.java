package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.internal.SqlScripts;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.SourceCoordinates;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link DeadLetterStore} in one table of a relational database (PostgreSQL, MySQL, MariaDB, H2),
 * for example Kill Bill's own. Bounded two ways: payloads are kept up to {@code maxPayloadBytes}, and
 * each tenant keeps at most {@code maxPerTenant} entries (the least recently seen go first, counted
 * by {@link #droppedByCap()}); the retention is applied by whoever calls {@link #purgeLastSeenBefore}.
 *
 * <p>An entry's id is a hash of source, reason code, tenant and payload, so a message rejected again
 * (redelivered, resubmitted, replayed and refused) is one more sighting of its entry on every node.
 * Each call is one short statement or two with auto-commit; no lock is held between calls.
 */
public final class JdbcDeadLetterStore implements DeadLetterStore {

    /** The table {@link #createTableIfAbsent()} creates unless told otherwise. */
    public static final String DEFAULT_TABLE_NAME = "meterstream_dead_letter";
    /** The most a BLOB holds on MySQL, hence the largest payload cap. */
    public static final int MAX_PAYLOAD_CAP = 65_535;

    private static final int MAX_REASON = 2000;
    private static final int MAX_TENANT = 128;
    private static final int MAX_TEXT = 255;

    private final DataSource dataSource;
    private final DeadLetterTable table;
    private final Clock clock;
    private final int maxPayloadBytes;
    private final int maxPerTenant;
    private final LongAdder droppedByCap = new LongAdder();

    /**
     * @param tableName       a plain SQL identifier of at most 48 characters
     * @param maxPayloadBytes payload bytes kept per entry, 0 to {@value #MAX_PAYLOAD_CAP}
     * @param maxPerTenant    entries kept per tenant (and for messages without a tenant), at least 1
     */
    public JdbcDeadLetterStore(DataSource dataSource, String tableName, Clock clock, int maxPayloadBytes, int maxPerTenant) {
        if (maxPayloadBytes < 0 || maxPayloadBytes > MAX_PAYLOAD_CAP) {
            throw new IllegalArgumentException("maxPayloadBytes must be within 0.." + MAX_PAYLOAD_CAP + ", was " + maxPayloadBytes);
        }
        if (maxPerTenant < 1) {
            throw new IllegalArgumentException("maxPerTenant must be at least 1, was " + maxPerTenant);
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.table = new DeadLetterTable(tableName);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxPerTenant = maxPerTenant;
    }

    /** Creates the table and its indexes when the table does not exist; safe on several nodes at once. */
    public void createTableIfAbsent() {
        try (Connection c = dataSource.getConnection()) {
            table.createIfAbsent(c);
        } catch (SQLException e) {
            throw unavailable("create table " + table.name, e);
        }
    }

    /** Entries deleted since start because their tenant had {@code maxPerTenant} newer ones. */
    public long droppedByCap() {
        return droppedByCap.sum();
    }

    /** The id of the entry a rejection of {@code payload} by {@code source} for {@code reasonCode} and {@code tenant} has. */
    static String idOf(String source, String reasonCode, String tenant, byte[] payload) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {source, reasonCode, tenant == null ? "" : tenant}) {
                d.update(part.getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
            }
            d.update(payload);
            byte[] digest = d.digest();
            StringBuilder hex = new StringBuilder(40);
            for (int i = 0; i < 20; i++) {
                hex.append(Character.forDigit((digest[i] >> 4) & 0xf, 16)).append(Character.forDigit(digest[i] & 0xf, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public String record(DeadLetterEnvelope envelope, byte[] payload, String subject) {
        SourceCoordinates where = envelope.coordinates();
        String tenant = cap(envelope.tenant(), MAX_TENANT);
        String id = idOf(where.source(), envelope.reasonCode(), tenant, payload);
        long now = clock.millis();
        String reason = cap(envelope.reason(), MAX_REASON);
        try (Connection c = dataSource.getConnection()) {
            if (sighting(c, id, envelope, reason, now) > 0) {
                return id;
            }
            try (PreparedStatement s = c.prepareStatement(table.insert)) {
                int i = 0;
                s.setString(++i, id);
                s.setString(++i, cap(where.source(), 128));
                s.setString(++i, tenant);
                s.setString(++i, cap(envelope.reasonCode(), 64));
                s.setString(++i, reason);
                s.setString(++i, cap(envelope.trackingId(), MAX_TEXT));
                s.setString(++i, cap(subject, MAX_TEXT));
                s.setString(++i, cap(where.destination(), MAX_TEXT));
                s.setString(++i, cap(where.partition(), 64));
                s.setString(++i, cap(where.position(), MAX_TEXT));
                s.setInt(++i, envelope.attempts());
                s.setLong(++i, now);
                s.setLong(++i, now);
                s.setBytes(++i, payload.length <= maxPayloadBytes ? payload : Arrays.copyOf(payload, maxPayloadBytes));
                s.setInt(++i, payload.length);
                s.setLong(++i, now);
                s.executeUpdate();
            } catch (SQLException e) {
                // another node stored the same rejection between our update and insert: ours is a sighting
                if (SqlScripts.isDuplicateKey(e) && sighting(c, id, envelope, reason, now) > 0) {
                    return id;
                }
                throw e;
            }
            enforceCap(c, tenant);
            return id;
        } catch (SQLException e) {
            throw unavailable("record a rejection in " + table.name, e);
        }
    }

    /** One more sighting of entry {@code id}, which opens it again if it was discarded or replayed; returns the rows updated. */
    private int sighting(Connection c, String id, DeadLetterEnvelope envelope, String reason, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(table.sighting)) {
            s.setLong(1, now);
            s.setString(2, reason);
            s.setInt(3, envelope.attempts());
            s.setString(4, cap(envelope.coordinates().position(), MAX_TEXT));
            s.setLong(5, now);
            s.setString(6, id);
            return s.executeUpdate();
        }
    }

    /** Deletes the tenant's least recently seen entries beyond the cap. */
    private void enforceCap(Connection c, String tenant) throws SQLException {
        long count;
        try (PreparedStatement s = c.prepareStatement(tenant == null ? table.countNoTenant : table.countTenant)) {
            if (tenant != null) {
                s.setString(1, tenant);
            }
            try (ResultSet r = s.executeQuery()) {
                r.next();
                count = r.getLong(1);
            }
        }
        if (count <= maxPerTenant) {
            return;
        }
        List<String> oldest = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(tenant == null ? table.oldestNoTenant : table.oldestTenant)) {
            int i = 0;
            if (tenant != null) {
                s.setString(++i, tenant);
            }
            s.setInt(++i, (int) (count - maxPerTenant));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    oldest.add(r.getString(1));
                }
            }
        }
        for (String id : oldest) {
            try (PreparedStatement s = c.prepareStatement(table.deleteById)) {
                s.setString(1, id);
                droppedByCap.add(s.executeUpdate());
            }
        }
    }

    @Override
    public List<StoredRejection> list(RejectionQuery query) {
        DeadLetterTable.Where where = table.where(query);
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(table.select(false) + where.sql + " ORDER BY last_seen DESC, id"
                     + " LIMIT " + query.limit + " OFFSET " + query.offset)) {
            where.bind(s);
            List<StoredRejection> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(row(r, false));
                }
            }
            return out;
        } catch (SQLException e) {
            throw unavailable("list rejections in " + table.name, e);
        }
    }

    @Override
    public Optional<StoredRejection> find(String id) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(table.select(true) + " WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(row(r, true)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw unavailable("read rejection " + id + " in " + table.name, e);
        }
    }

    @Override
    public Map<String, Long> countByReason(RejectionQuery query) {
        Map<String, Long> out = new TreeMap<>();
        DeadLetterTable.Where where = table.where(query);
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT reason_code, COUNT(*) FROM " + table.name + where.sql
                     + " GROUP BY reason_code")) {
            where.bind(s);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.put(r.getString(1), r.getLong(2));
                }
            }
            return out;
        } catch (SQLException e) {
            throw unavailable("count rejections in " + table.name, e);
        }
    }

    @Override
    public Map<LocalDate, Long> countByDay(RejectionQuery query) {
        Map<LocalDate, Long> out = new TreeMap<>();
        DeadLetterTable.Where where = table.where(query);
        // the day number is computed by the database (integer division is the same in all three), so
        // that a large table is not read row by row
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT FLOOR(last_seen / 86400000) AS day_number, COUNT(*) FROM "
                     + table.name + where.sql + " GROUP BY FLOOR(last_seen / 86400000)")) {
            where.bind(s);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.put(LocalDate.ofEpochDay(r.getLong(1)), r.getLong(2));
                }
            }
            return out;
        } catch (SQLException e) {
            throw unavailable("count rejections per day in " + table.name, e);
        }
    }

    @Override
    public boolean discard(String id, String by) {
        long now = clock.millis();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(table.discard)) {
            s.setLong(1, now);
            s.setString(2, cap(by, 128));
            s.setString(3, id);
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw unavailable("discard rejection " + id + " in " + table.name, e);
        }
    }

    @Override
    public boolean replayed(String id, StoredRejection.ReplayOutcome outcome, String detail, String by) {
        long now = clock.millis();
        boolean closes = outcome == StoredRejection.ReplayOutcome.RECORDED || outcome == StoredRejection.ReplayOutcome.DUPLICATE;
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(closes ? table.replayedClosed
                : table.replayedOpen)) {
            int i = 0;
            s.setString(++i, outcome.name());
            s.setString(++i, cap(detail, MAX_REASON));
            s.setLong(++i, now);
            if (closes) {
                s.setLong(++i, now);
                s.setString(++i, cap(by, 128));
            }
            s.setString(++i, id);
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw unavailable("store the replay of rejection " + id + " in " + table.name, e);
        }
    }

    @Override
    public int purgeLastSeenBefore(Instant cutoff) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(table.purge)) {
            s.setLong(1, cutoff.toEpochMilli());
            return s.executeUpdate();
        } catch (SQLException e) {
            throw unavailable("purge rejections in " + table.name, e);
        }
    }

    private static StoredRejection row(ResultSet r, boolean withPayload) throws SQLException {
        long replayAt = r.getLong("replay_at");
        boolean replayed = !r.wasNull();
        String outcome = r.getString("replay_outcome");
        return new StoredRejection(r.getString("id"), r.getString("source"), r.getString("tenant"), r.getString("reason_code"),
                r.getString("reason"), r.getString("tracking_id"), r.getString("subject"), r.getString("destination"),
                r.getString("partition_id"), r.getString("position_id"), r.getInt("attempts"),
                Instant.ofEpochMilli(r.getLong("first_seen")), Instant.ofEpochMilli(r.getLong("last_seen")), r.getInt("times_seen"),
                withPayload ? r.getBytes("payload") : null, r.getInt("payload_length"),
                StoredRejection.State.valueOf(r.getString("state")), Instant.ofEpochMilli(r.getLong("state_at")),
                r.getString("state_by"), outcome == null ? null : StoredRejection.ReplayOutcome.valueOf(outcome),
                r.getString("replay_detail"), replayed ? Instant.ofEpochMilli(replayAt) : null);
    }

    /** {@code text} cut to {@code max} characters (the column's size), or null. */
    private static String cap(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

    private IllegalStateException unavailable(String what, SQLException e) {
        return new IllegalStateException("could not " + what + ": " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "JdbcDeadLetterStore{" + table.name + ", payload cap " + maxPayloadBytes + " B, " + maxPerTenant + " per tenant}";
    }

    /** For tests: the column names of both DDL files, in order. */
    static Map<String, List<String>> ddlColumns() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String resource : List.of(DeadLetterTable.DDL_MYSQL, DeadLetterTable.DDL_POSTGRESQL)) {
            out.put(resource, DeadLetterTable.columns(DeadLetterTable.read(resource)));
        }
        return out;
    }
}
