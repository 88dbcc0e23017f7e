package io.github.meterstream.examples.relay;

import com.rabbitmq.client.ConnectionFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.PipelineStats;
import io.github.meterstream.kafka.KafkaSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;

/**
 * The event relay: Kafka topics to RabbitMQ exchanges, with a database event log in between.
 * <pre>
 *  Kafka ─▶ KafkaSource ─▶ ConsumerPipeline(BieEventContract) ─▶ EventLog: one transaction
 *                                                                 bie_event + codes + relay_outbox
 *                                    relay_outbox ─▶ OutboxPublisher ─▶ RabbitMQ exchange per topic
 * </pre>
 * {@link #start()} migrates the schema (Flyway, {@code db/relay}), then starts the outbox publisher
 * and the pipeline. {@link #close()} stops consumption first, then the publisher.
 */
public final class EventRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventRelay.class);

    private final RelayConfig config;
    private final HikariDataSource dataSource;
    private final OutboxPublisher publisher;
    private final ConsumerPipeline<BieEvent> pipeline;

    public EventRelay(RelayConfig config) {
        this(config, Clock.systemUTC());
    }

    EventRelay(RelayConfig config, Clock utc) {
        this.config = config;
        this.dataSource = dataSource(config);
        ConnectionFactory rabbit = new ConnectionFactory();
        rabbit.setHost(config.get(RelayConfig.RABBITMQ_HOST));
        rabbit.setPort(config.get(RelayConfig.RABBITMQ_PORT));
        rabbit.setVirtualHost(config.get(RelayConfig.RABBITMQ_VIRTUAL_HOST));
        rabbit.setUsername(config.get(RelayConfig.RABBITMQ_USERNAME));
        rabbit.setPassword(config.get(RelayConfig.RABBITMQ_PASSWORD));
        rabbit.setConnectionTimeout(5000);
        rabbit.setAutomaticRecoveryEnabled(false); // the publisher reconnects itself, between batches
        if (config.get(RelayConfig.RABBITMQ_TLS)) {
            try {
                rabbit.useSslProtocol(javax.net.ssl.SSLContext.getDefault());
                rabbit.enableHostnameVerification();
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context for RabbitMQ", e);
            }
        }
        this.publisher = new OutboxPublisher(dataSource, rabbit, config.instanceId(), config.get(RelayConfig.OUTBOX_BATCH_SIZE),
                config.get(RelayConfig.OUTBOX_LEASE), config.get(RelayConfig.OUTBOX_CONFIRM_TIMEOUT),
                config.get(RelayConfig.OUTBOX_POLL_INTERVAL), config.get(RelayConfig.OUTBOX_RETENTION), utc);
        this.pipeline = ConsumerPipeline.builder(new BieEventContract(config.get(RelayConfig.EVENT_ID_FIELD),
                        config.get(RelayConfig.DETAIL_FIELDS)))
                .source(new KafkaSource("relay", config.source()))
                .handler(new EventLog(dataSource, Dialect.forUrl(config.get(RelayConfig.DATABASE_URL))))
                .config(config.pipeline())
                .clock(utc)
                .build();
    }

    private static HikariDataSource dataSource(RelayConfig config) {
        HikariConfig h = new HikariConfig();
        h.setJdbcUrl(config.get(RelayConfig.DATABASE_URL));
        h.setUsername(config.get(RelayConfig.DATABASE_USER));
        h.setPassword(config.get(RelayConfig.DATABASE_PASSWORD));
        h.setMaximumPoolSize(config.get(RelayConfig.DATABASE_POOL_SIZE));
        h.setConnectionTimeout(config.get(RelayConfig.DATABASE_CONNECT_TIMEOUT).toMillis());
        h.setValidationTimeout(Math.min(1000, config.get(RelayConfig.DATABASE_CONNECT_TIMEOUT).toMillis() - 1));
        // the relay starts even while the database is down: the pipeline then waits for it
        h.setInitializationFailTimeout(-1);
        h.setPoolName("relay-db");
        return new HikariDataSource(h);
    }

    /** Migrates the schema, then starts publishing and consuming. */
    public void start() {
        LOG.info("starting event relay {}: {}", config.instanceId(), config);
        if (config.certificateExpiry() != null) {
            LOG.info("Kafka TLS: {}", config.certificateExpiry());
        }
        migrate(dataSource);
        publisher.start();
        pipeline.start();
    }

    /** Applies the migrations of {@code db/relay} that {@code dataSource} does not have yet. */
    public static void migrate(DataSource dataSource) {
        Flyway.configure().dataSource(dataSource).locations("classpath:db/relay").load().migrate();
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public PipelineStats stats() {
        return pipeline.stats();
    }

    /** Messages this instance published and saw confirmed. */
    public long published() {
        return publisher.published();
    }

    /**
     * One line for a health page or a log: consumption (source health and pipeline counts), the
     * outbox (rows waiting, last error) and the expiry date of the Kafka TLS certificate.
     */
    public String status() {
        String outbox;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM relay_outbox WHERE published_at IS NULL")) {
            rs.next();
            outbox = rs.getLong(1) + " waiting";
        } catch (SQLException e) {
            outbox = "unknown (database: " + e.getMessage() + ")";
        }
        String error = publisher.lastError();
        return "relay " + config.instanceId() + ": kafka " + pipeline.source().health() + "; pipeline " + pipeline.stats()
                + "; outbox " + outbox + ", published " + publisher.published() + (error == null ? "" : ", failing: " + error)
                + "; kafka TLS " + (config.certificateExpiry() == null ? "off" : config.certificateExpiry());
    }

    @Override
    public void close() {
        pipeline.close(Duration.ofSeconds(10));
        publisher.close();
        dataSource.close();
    }
}
