package io.github.meterstream.examples.relay;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes the outbox to RabbitMQ, on a thread of its own, separate from Kafka consumption:
 * <ol>
 *   <li><b>claim</b>, in a short transaction: up to {@code batch-size} unpublished rows whose lease is
 *       free ({@code SELECT ... FOR UPDATE SKIP LOCKED}, so two instances never take the same row),
 *       marked {@code claimed_by} this instance until now + {@code lease};</li>
 *   <li><b>publish</b> each to its exchange, persistent, message-id = the event's uuid, then wait
 *       for RabbitMQ's publisher confirms of the whole batch;</li>
 *   <li><b>mark</b>, in one transaction per batch: {@code published_at} on the outbox row (its payload,
 *       which holds the whole event, erased) and {@code notified_at} on the event.</li>
 * </ol>
 * RabbitMQ or the database down: the step fails, nothing is marked, the rows stay unpublished and
 * are claimed again once the lease of this instance runs out or by this instance on its next try.
 * A crash after RabbitMQ confirmed but before the mark publishes those rows once more, with the
 * same message-id.
 */
public final class OutboxPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxPublisher.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final DataSource dataSource;
    private final ConnectionFactory rabbit;
    private final String instanceId;
    private final int batchSize;
    private final Duration lease;
    private final Duration confirmTimeout;
    private final Duration pollInterval;
    private final Duration retention;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private final AtomicLong published = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private Connection connection;
    private Channel channel;
    private Duration backoff;

    private record Row(UUID eventId, String exchange, String routingKey, String payload) {
    }

    public OutboxPublisher(DataSource dataSource, ConnectionFactory rabbit, String instanceId, int batchSize, Duration lease,
                           Duration confirmTimeout, Duration pollInterval, Clock clock) {
        this(dataSource, rabbit, instanceId, batchSize, lease, confirmTimeout, pollInterval, RelayConfig.OUTBOX_RETENTION.defaultValue(),
                clock);
    }

    /** @param retention how long a published row stays before {@link #purgePublished()} deletes it */
    public OutboxPublisher(DataSource dataSource, ConnectionFactory rabbit, String instanceId, int batchSize, Duration lease,
                           Duration confirmTimeout, Duration pollInterval, Duration retention, Clock clock) {
        this.retention = retention;
        this.dataSource = dataSource;
        this.rabbit = rabbit;
        this.instanceId = instanceId;
        this.batchSize = batchSize;
        this.lease = lease;
        this.confirmTimeout = confirmTimeout;
        this.pollInterval = pollInterval;
        this.clock = clock;
        this.backoff = pollInterval;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "relay-outbox-" + instanceId));
    }

    public void start() {
        thread.execute(this::runOnce);
    }

    /** Messages confirmed by RabbitMQ and marked, since start. */
    public long published() {
        return published.get();
    }

    /** The last failure, or {@code null} after a successful round. */
    public String lastError() {
        return lastError.get();
    }

    private void runOnce() {
        Duration next = pollInterval;
        try {
            while (publishBatch() == batchSize) {
                // a full batch: there may be more waiting
            }
            purgePublished();
            if (lastError.getAndSet(null) != null) {
                LOG.info("outbox publishing works again");
            }
            backoff = pollInterval;
        } catch (Exception e) {
            String error = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!error.equals(lastError.getAndSet(error))) {
                LOG.warn("outbox publishing failed, unpublished rows wait and are retried: {}", error);
            }
            closeRabbit();
            next = backoff;
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        try {
            thread.schedule(this::runOnce, next.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // close() was called: this round was the last
        }
    }

    /** One claim-publish-mark round; returns how many rows it published. */
    int publishBatch() throws Exception {
        List<Row> rows = claim();
        if (rows.isEmpty()) {
            return 0;
        }
        Channel ch = channel();
        for (Row r : rows) {
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .messageId(r.eventId().toString())
                    .contentType("application/json")
                    .contentEncoding("UTF-8")
                    .deliveryMode(2)
                    .build();
            ch.basicPublish(r.exchange(), r.routingKey(), props, r.payload().getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(confirmTimeout.toMillis());
        markPublished(rows);
        published.addAndGet(rows.size());
        for (Row r : rows) {
            LOG.info("notified {} on exchange {} ({})", r.eventId(), r.exchange(), r.routingKey());
        }
        return rows.size();
    }

    private List<Row> claim() throws SQLException {
        LocalDateTime now = LocalDateTime.now(clock);
        List<Row> rows = new ArrayList<>();
        try (java.sql.Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT event_id, exchange, routing_key, payload FROM relay_outbox "
                        + "WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?) "
                        + "ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
                    ps.setObject(1, now);
                    ps.setString(2, instanceId);
                    ps.setInt(3, batchSize);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            rows.add(new Row(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4)));
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE relay_outbox SET claimed_by = ?, claimed_until = ?, "
                        + "claims = claims + 1 WHERE event_id = ?")) {
                    for (Row r : rows) {
                        ps.setString(1, instanceId);
                        ps.setObject(2, now.plus(lease));
                        ps.setObject(3, r.eventId());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
        return rows;
    }

    /**
     * Deletes published rows older than the retention, at most {@code batch-size} per call, so that the
     * outbox does not grow with every event ever relayed; unpublished rows are never touched.
     *
     * @return the rows deleted
     */
    int purgePublished() throws SQLException {
        LocalDateTime cutoff = LocalDateTime.now(clock).minus(retention);
        List<Object> ids = new java.util.ArrayList<>();
        try (java.sql.Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("SELECT event_id FROM relay_outbox WHERE published_at < ?")) {
                s.setObject(1, cutoff);
                s.setMaxRows(batchSize);
                try (java.sql.ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getObject(1));
                    }
                }
            }
            try (PreparedStatement d = c.prepareStatement("DELETE FROM relay_outbox WHERE event_id = ? AND published_at IS NOT NULL")) {
                for (Object id : ids) {
                    d.setObject(1, id);
                    d.addBatch();
                }
                if (!ids.isEmpty()) {
                    d.executeBatch();
                }
            }
        }
        return ids.size();
    }

    private void markPublished(List<Row> rows) throws SQLException {
        LocalDateTime now = LocalDateTime.now(clock);
        try (java.sql.Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement outbox = c.prepareStatement(
                         "UPDATE relay_outbox SET published_at = ?, payload = NULL WHERE event_id = ?");
                 PreparedStatement event = c.prepareStatement("UPDATE bie_event SET notified_at = ? WHERE id = ?")) {
                for (Row r : rows) {
                    outbox.setObject(1, now);
                    outbox.setObject(2, r.eventId());
                    outbox.addBatch();
                    event.setObject(1, now);
                    event.setObject(2, r.eventId());
                    event.addBatch();
                }
                outbox.executeBatch();
                event.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private Channel channel() throws Exception {
        if (channel != null && channel.isOpen()) {
            return channel;
        }
        closeRabbit();
        connection = rabbit.newConnection("event-relay-" + instanceId);
        channel = connection.createChannel();
        channel.confirmSelect();
        for (TopicExchanges.Route route : TopicExchanges.ROUTES) {
            channel.exchangeDeclare(route.exchange(), "topic", true);
        }
        return channel;
    }

    private void closeRabbit() {
        try {
            if (connection != null) {
                connection.abort(1000);
            }
        } finally {
            connection = null;
            channel = null;
        }
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(confirmTimeout.toMillis() + 2000, TimeUnit.MILLISECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeRabbit();
    }
}
