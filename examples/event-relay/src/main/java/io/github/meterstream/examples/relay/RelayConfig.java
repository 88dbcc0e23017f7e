package io.github.meterstream.examples.relay;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.kafka.KafkaSourceConfig;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import static io.github.meterstream.core.config.ConfigKey.atLeast;
import static io.github.meterstream.core.config.ConfigKey.positive;

/**
 * Everything the relay reads at start, each key declared once below (the README's tables are
 * generated from these declarations). Keys are relative to {@value #PREFIX}; the Kafka source's own
 * keys (broker-kafka's {@link KafkaSourceConfig}, with its {@code kafka.*} pass-through for TLS and
 * SASL) sit under {@code source.}, the pipeline's (broker-core's {@link PipelineConfig}) under
 * {@code pipeline.}. {@link #from} fails with a {@link ConfigException} naming the key and the rule.
 */
public final class RelayConfig {

    public static final String PREFIX = "relay.";
    public static final String SOURCE_SECTION = "source";
    public static final String PIPELINE_SECTION = "pipeline";

    public static final ConfigKey<String> EVENT_ID_FIELD = ConfigKey.string("event-id-field", null,
            "Field of the Kafka event that identifies it (with the topic); unset: the event is identified by topic, partition and offset.");
    public static final ConfigKey<List<String>> DETAIL_FIELDS = ConfigKey.list("event-details.allowed-fields",
            BieEventContract.DEFAULT_DETAIL_FIELDS,
            "Fields of the Kafka event kept in bie_event.event_details; every other field (PII among them) is dropped before storing.");
    public static final ConfigKey<String> DATABASE_URL = ConfigKey.string("database.url", "jdbc:h2:mem:relay;DB_CLOSE_DELAY=-1",
            "JDBC URL of the event log: PostgreSQL (jdbc:postgresql://...) or H2 (jdbc:h2:...).")
            .rule(u -> u.startsWith("jdbc:postgresql:") || u.startsWith("jdbc:h2:"), "must start with jdbc:postgresql: or jdbc:h2:");
    public static final ConfigKey<String> DATABASE_USER = ConfigKey.string("database.user", null, "Database user.");
    public static final ConfigKey<String> DATABASE_PASSWORD = ConfigKey.string("database.password", null,
            "Database password.").secret();
    public static final ConfigKey<Integer> DATABASE_POOL_SIZE = ConfigKey.integer("database.pool-size", 4,
            "Connections in the pool, shared by the handler and the outbox publisher.").rule(atLeast(2), "must be at least 2");
    public static final ConfigKey<Duration> DATABASE_CONNECT_TIMEOUT = ConfigKey.duration("database.connect-timeout",
            Duration.ofSeconds(2), "How long a transaction waits for a connection before failing (then retried: nothing is skipped).")
            .rule(d -> d.toMillis() >= 250, "must be at least 250ms");
    public static final ConfigKey<String> RABBITMQ_HOST = ConfigKey.string("rabbitmq.host", "127.0.0.1", "RabbitMQ host.");
    public static final ConfigKey<Integer> RABBITMQ_PORT = ConfigKey.integer("rabbitmq.port", 5672, "RabbitMQ port.")
            .rule(p -> p > 0 && p < 65536, "must be a TCP port");
    public static final ConfigKey<String> RABBITMQ_VIRTUAL_HOST = ConfigKey.string("rabbitmq.virtual-host", "/", "RabbitMQ virtual host.");
    public static final ConfigKey<String> RABBITMQ_USERNAME = ConfigKey.string("rabbitmq.username", "guest", "RabbitMQ user.");
    public static final ConfigKey<String> RABBITMQ_PASSWORD = ConfigKey.string("rabbitmq.password", "guest",
            "RabbitMQ password.").secret();
    public static final ConfigKey<Boolean> RABBITMQ_TLS = ConfigKey.bool("rabbitmq.tls", false,
            "Connect to RabbitMQ over TLS with the JVM's default truststore.");
    public static final ConfigKey<Duration> OUTBOX_POLL_INTERVAL = ConfigKey.duration("outbox.poll-interval", Duration.ofMillis(200),
            "How often the outbox publisher looks for unpublished rows when it found none.").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Integer> OUTBOX_BATCH_SIZE = ConfigKey.integer("outbox.batch-size", 100,
            "Rows claimed, published and confirmed at a time.").rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Duration> OUTBOX_CONFIRM_TIMEOUT = ConfigKey.duration("outbox.confirm-timeout", Duration.ofSeconds(10),
            "How long to wait for RabbitMQ's publisher confirms of a batch; unconfirmed rows are published again.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> OUTBOX_LEASE = ConfigKey.duration("outbox.lease", Duration.ofSeconds(60),
            "How long a claimed row belongs to the instance that claimed it; after that another instance may publish it. "
                    + "Must exceed outbox.confirm-timeout plus the clock skew between instances.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> OUTBOX_RETENTION = ConfigKey.duration("outbox.retention", Duration.ofDays(1),
            "How long a published outbox row (kept for its claim history; its payload is erased on publish) stays before "
                    + "it is deleted, in batches, by the publisher.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<String> INSTANCE_ID = ConfigKey.string("instance-id", null,
            "Name of this relay instance in outbox claims; unset: <host>/<pid>. Must differ between instances.");

    /** Every key of the relay itself, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(EVENT_ID_FIELD, DETAIL_FIELDS, DATABASE_URL, DATABASE_USER,
            DATABASE_PASSWORD, DATABASE_POOL_SIZE, DATABASE_CONNECT_TIMEOUT, RABBITMQ_HOST, RABBITMQ_PORT,
            RABBITMQ_VIRTUAL_HOST, RABBITMQ_USERNAME, RABBITMQ_PASSWORD, RABBITMQ_TLS, OUTBOX_POLL_INTERVAL,
            OUTBOX_BATCH_SIZE, OUTBOX_CONFIRM_TIMEOUT, OUTBOX_LEASE, OUTBOX_RETENTION, INSTANCE_ID);

    private final ConfigValues values;
    private final KafkaSourceConfig source;
    private final PipelineConfig pipeline;
    private final KafkaStores.Expiry certificateExpiry;

    private RelayConfig(ConfigValues values) {
        values.requireOnlyKnownKeys(KEYS, List.of(SOURCE_SECTION, PIPELINE_SECTION));
        this.values = values;
        for (ConfigKey<?> key : KEYS) {
            values.get(key); // every rule checked now, not on first use
        }
        if (values.get(OUTBOX_LEASE).compareTo(values.get(OUTBOX_CONFIRM_TIMEOUT)) <= 0) {
            throw new ConfigException(values.prefix() + OUTBOX_LEASE.name(), "must be longer than " + OUTBOX_CONFIRM_TIMEOUT.name()
                    + " (" + values.get(OUTBOX_CONFIRM_TIMEOUT) + "), was " + values.get(OUTBOX_LEASE));
        }
        ConfigValues sourceValues = values.section(SOURCE_SECTION);
        this.source = KafkaSourceConfig.from(sourceValues);
        for (String topic : source.topics()) {
            if (TopicExchanges.forTopic(topic).isEmpty()) {
                throw new ConfigException(sourceValues.prefix() + KafkaSourceConfig.TOPICS.name(),
                        "names topic '" + topic + "', which has no exchange; known topics end in " + TopicExchanges.knownSuffixes());
            }
        }
        this.certificateExpiry = KafkaStores.check(sourceValues.prefix() + KafkaSourceConfig.CLIENT_SECTION + '.',
                source.clientProperties());
        this.pipeline = PipelineConfig.from(values.section(PIPELINE_SECTION));
    }

    /** Reads and checks every key, including the Kafka stores named under {@code source.kafka.}. */
    public static RelayConfig from(ConfigValues values) {
        return new RelayConfig(values);
    }

    /** The {@value #PREFIX} entries of {@code properties}. */
    public static RelayConfig from(Properties properties) {
        return from(ConfigValues.fromProperties(PREFIX, properties));
    }

    public <T> T get(ConfigKey<T> key) {
        return values.get(key);
    }

    public KafkaSourceConfig source() {
        return source;
    }

    public PipelineConfig pipeline() {
        return pipeline;
    }

    /** The first certificate of the Kafka keystore or truststore to expire, or {@code null} without TLS stores. */
    public KafkaStores.Expiry certificateExpiry() {
        return certificateExpiry;
    }

    public String instanceId() {
        String id = values.get(INSTANCE_ID);
        return id != null ? id : hostName() + '/' + ProcessHandle.current().pid();
    }

    private static String hostName() {
        String name = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
        int at = name.indexOf('@');
        return at < 0 ? "relay" : name.substring(at + 1);
    }

    /** Every setting, secrets masked. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("RelayConfig{");
        for (ConfigKey<?> key : KEYS) {
            sb.append(key.name()).append('=').append(key.printable(values.get(key))).append(", ");
        }
        return sb.append("source=").append(source).append('}').toString();
    }
}
