package io.github.meterstream.examples.relay;

import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.pipeline.MessageContext;
import io.github.meterstream.core.pipeline.MessageHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;

/**
 * The relay's handler: stores one event in ONE transaction - its {@code bie_event} row, its
 * diagnostic codes (added to {@code diagnostic_code} when new), the links between them, and the
 * outbox row holding the exact RabbitMQ message. Either all of it is committed or none of it, so
 * an event is never notified without being stored nor stored without being notified.
 *
 * <p>A redelivered event has the same uuid: its insert is a primary-key duplicate, the transaction
 * is rolled back and the delivery acknowledged as {@link Outcome#ALREADY_PROCESSED}. Any other
 * database error is a {@link TransientFailure}: broker-core retries the event and, when the errors
 * go on, opens its circuit and pauses the Kafka source; nothing is skipped.
 */
public final class EventLog implements MessageHandler<BieEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
    /** SQLSTATE of a unique or primary key violation, on PostgreSQL and H2 alike. */
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final Dialect dialect;

    public EventLog(DataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
    }

    @Override
    public Outcome handle(BieEvent e, MessageContext context) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                insertEvent(c, e);
                for (String code : e.diagnosticCodes()) {
                    try (PreparedStatement ps = c.prepareStatement(dialect.insertDiagnosticCodeIfAbsent())) {
                        ps.setString(1, code);
                        ps.executeUpdate();
                    }
                    try (PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO bie_event_to_diagnostic_code (bie_event_id, diagnostic_code) VALUES (?, ?)")) {
                        ps.setObject(1, e.id());
                        ps.setString(2, code);
                        ps.executeUpdate();
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO relay_outbox "
                        + "(event_id, exchange, routing_key, payload, created_at) VALUES (?, ?, ?, ?, ?)")) {
                    ps.setObject(1, e.id());
                    ps.setString(2, e.route().exchange());
                    ps.setString(3, e.route().eventType());
                    ps.setString(4, e.messagePayload());
                    ps.setObject(5, e.receivedAt());
                    ps.executeUpdate();
                }
                c.commit();
                LOG.info("stored {} ({}) as {} with {} diagnostic code(s)", e.identity(), e.route().eventType(), e.id(),
                        e.diagnosticCodes().size());
                return Outcome.PROCESSED;
            } catch (SQLException ex) {
                rollbackQuietly(c);
                if (UNIQUE_VIOLATION.equals(ex.getSQLState()) && isStored(c, e)) {
                    LOG.info("{} is already stored as {}: acknowledged", e.identity(), e.id());
                    return Outcome.ALREADY_PROCESSED;
                }
                throw ex;
            }
        } catch (SQLException ex) {
            throw new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "event log unavailable while storing "
                    + e.identity() + ": " + ex.getMessage(), e.topic(), e.identity(), ex);
        }
    }

    private static void insertEvent(Connection c, BieEvent e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO bie_event (id, event_identity, created_at, event_type, "
                + "event_details, event_at, benefit_claim_id, contention_id, classification) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setObject(1, e.id());
            ps.setString(2, e.identity());
            ps.setObject(3, e.receivedAt());
            ps.setString(4, e.route().eventType());
            ps.setString(5, e.details());
            if (e.eventAt() == null) {
                ps.setNull(6, Types.TIMESTAMP);
            } else {
                ps.setObject(6, e.eventAt());
            }
            ps.setString(7, e.benefitClaimId());
            ps.setString(8, e.contentionId());
            ps.setString(9, e.classification());
            ps.executeUpdate();
        }
    }

    /** True when the duplicate was the event row itself (not, say, a diagnostic code raced by another instance). */
    private static boolean isStored(Connection c, BieEvent e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM bie_event WHERE id = ?")) {
            ps.setObject(1, e.id());
            try (var rs = ps.executeQuery()) {
                return rs.next();
            }
        } finally {
            c.rollback();
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it and the transaction is gone with it
        }
    }
}
