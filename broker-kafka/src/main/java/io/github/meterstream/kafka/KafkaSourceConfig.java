package io.github.meterstream.kafka;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.source.SourceKeys;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import static io.github.meterstream.core.config.ConfigKey.atLeast;
import static io.github.meterstream.core.config.ConfigKey.positive;

/**
 * How a {@link KafkaSource} connects, commits and dead-letters. Immutable; every key is declared
 * once below, with its default and rules; {@link #from(ConfigValues)} names the key that breaks a
 * rule. Every Kafka client property passes through under {@value #CLIENT_SECTION}{@code .}
 * ({@code kafka.security.protocol}, {@code kafka.ssl.truststore.location}, ...); a property meant
 * for only one of the two clients may be written {@code kafka.consumer.<name>} or
 * {@code kafka.producer.<name>}. {@link #toString()} masks every secret.
 */
public final class KafkaSourceConfig {

    /** Section whose entries are passed to the Kafka clients unchanged. */
    public static final String CLIENT_SECTION = "kafka";

    public static final String DEFAULT_DEAD_LETTER_SUFFIX = ".dlq";
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(100);
    public static final Duration DEFAULT_REVOKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RETRY_AFTER_SETTLEMENT_FAILURE = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_RETRY_AFTER_SETTLEMENT_FAILURE = Duration.ofMinutes(5);
    public static final int DEFAULT_RETRY_MAX_WAITING = 1000;

    public static final ConfigKey<String> BOOTSTRAP_SERVERS = ConfigKey.string("bootstrap-servers", null,
            "Kafka brokers to contact first, host:port[,host:port...].").required();
    public static final ConfigKey<List<String>> TOPICS = ConfigKey.list("topics", null,
            "Topics to consume, comma-separated.").required()
            .rule(l -> !l.isEmpty(), "must name at least one topic");
    public static final ConfigKey<String> GROUP_ID = ConfigKey.string("group-id", null,
            "Consumer group. Every node consuming the same data uses the same group; partitions are spread across them.")
            .required();
    public static final ConfigKey<String> DEAD_LETTER_TOPIC = ConfigKey.string("dead-letter.topic", null,
            "One dead-letter topic for all topics of this source; unset: <topic> + dead-letter.topic-suffix per topic.");
    public static final ConfigKey<String> DEAD_LETTER_SUFFIX = ConfigKey.string("dead-letter.topic-suffix",
            DEFAULT_DEAD_LETTER_SUFFIX, "Suffix of the per-topic dead-letter topic when dead-letter.topic is unset.");
    public static final ConfigKey<Integer> DEAD_LETTER_MAX_HEADER_BYTES = SourceKeys.DEAD_LETTER_MAX_HEADER_BYTES;
    public static final ConfigKey<Duration> COMMIT_INTERVAL = ConfigKey.duration("commit-interval", DEFAULT_COMMIT_INTERVAL,
            "How often settled offsets are committed (also on revoke and close). A crash redelivers at most this much settled work.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> POLL_TIMEOUT = ConfigKey.duration("poll-timeout", DEFAULT_POLL_TIMEOUT,
            "Longest wait of one poll; also how late a resume or a due retry can be noticed.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> REVOKE_TIMEOUT = ConfigKey.duration("revoke-timeout", DEFAULT_REVOKE_TIMEOUT,
            "On a rebalance, how long to wait for in-flight messages of revoked partitions before committing and letting go; "
                    + "keep it well below kafka.max.poll.interval.ms.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> SETTLEMENT_FAILURE_RETRY = ConfigKey.duration("settlement-failure.retry-after",
            DEFAULT_RETRY_AFTER_SETTLEMENT_FAILURE,
            "A message whose dead-letter publish failed (or that the sink refused) is delivered again after this delay, "
                    + "doubled after each further failure in a row.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> SETTLEMENT_FAILURE_MAX_RETRY = ConfigKey.duration("settlement-failure.max-retry-after",
            DEFAULT_MAX_RETRY_AFTER_SETTLEMENT_FAILURE,
            "Longest delay before delivering again a message whose dead-letter publish keeps failing.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Integer> RETRY_MAX_WAITING = ConfigKey.integer("retry.max-waiting", DEFAULT_RETRY_MAX_WAITING,
            "Records waiting in memory for a retry (handed back by the pipeline, or after a failed dead-letter publish). "
                    + "At this many, partitions with records waiting stop fetching until half of them are delivered again.")
            .rule(atLeast(1), "must be at least 1");

    /** Every key of this config, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(BOOTSTRAP_SERVERS, TOPICS, GROUP_ID, DEAD_LETTER_TOPIC,
            DEAD_LETTER_SUFFIX, DEAD_LETTER_MAX_HEADER_BYTES, COMMIT_INTERVAL, POLL_TIMEOUT, REVOKE_TIMEOUT,
            SETTLEMENT_FAILURE_RETRY, SETTLEMENT_FAILURE_MAX_RETRY, RETRY_MAX_WAITING);

    private final String bootstrapServers;
    private final List<String> topics;
    private final String groupId;
    private final String deadLetterTopic;
    private final String deadLetterSuffix;
    private final int deadLetterMaxHeaderBytes;
    private final Duration commitInterval;
    private final Duration pollTimeout;
    private final Duration revokeTimeout;
    private final Duration settlementFailureRetry;
    private final Duration settlementFailureMaxRetry;
    private final int retryMaxWaiting;
    private final Map<String, String> clientProperties;
    private final String keyPrefix;

    private KafkaSourceConfig(ConfigValues values) {
        this.keyPrefix = values.prefix();
        this.bootstrapServers = values.get(BOOTSTRAP_SERVERS);
        this.topics = values.get(TOPICS);
        this.groupId = values.get(GROUP_ID);
        this.deadLetterTopic = values.get(DEAD_LETTER_TOPIC);
        this.deadLetterSuffix = values.get(DEAD_LETTER_SUFFIX);
        this.deadLetterMaxHeaderBytes = values.get(DEAD_LETTER_MAX_HEADER_BYTES);
        this.commitInterval = values.get(COMMIT_INTERVAL);
        this.pollTimeout = values.get(POLL_TIMEOUT);
        this.revokeTimeout = values.get(REVOKE_TIMEOUT);
        this.settlementFailureRetry = values.get(SETTLEMENT_FAILURE_RETRY);
        this.settlementFailureMaxRetry = values.get(SETTLEMENT_FAILURE_MAX_RETRY);
        this.retryMaxWaiting = values.get(RETRY_MAX_WAITING);
        if (settlementFailureMaxRetry.compareTo(settlementFailureRetry) < 0) {
            throw new ConfigException(values.prefix() + SETTLEMENT_FAILURE_MAX_RETRY.name(),
                    "must not be shorter than " + SETTLEMENT_FAILURE_RETRY.name() + " (" + settlementFailureRetry + "), was "
                            + settlementFailureMaxRetry);
        }
        Map<String, String> client = new TreeMap<>(values.section(CLIENT_SECTION).asMap());
        String enableAutoCommit = client.get("enable.auto.commit");
        if (enableAutoCommit != null && !enableAutoCommit.trim().equalsIgnoreCase("false")) {
            throw new ConfigException(values.prefix() + CLIENT_SECTION + ".enable.auto.commit",
                    "must not be true: the source commits only settled offsets itself; remove the key");
        }
        for (String owned : List.of("bootstrap.servers", "group.id")) {
            if (client.containsKey(owned)) {
                throw new ConfigException(values.prefix() + CLIENT_SECTION + '.' + owned,
                        "is set by the source's own key; use " + (owned.equals("group.id") ? GROUP_ID : BOOTSTRAP_SERVERS)
                                + " instead");
            }
        }
        this.clientProperties = Collections.unmodifiableMap(client);
        if (topics.contains(deadLetterTopic)) {
            throw new ConfigException(values.prefix() + DEAD_LETTER_TOPIC.name(),
                    "must not be one of the consumed topics, was '" + deadLetterTopic + "'");
        }
    }

    /**
     * Reads and checks every key of {@link #KEYS} and the {@code kafka.*} section.
     *
     * @throws ConfigException naming the key and the rule it breaks
     */
    public static KafkaSourceConfig from(ConfigValues values) {
        return new KafkaSourceConfig(Objects.requireNonNull(values, "values"));
    }

    /** A config from plain relative keys, for programs and tests: {@code ("topics", "usage", ...)}. */
    public static KafkaSourceConfig of(Map<String, String> relativeValues) {
        return from(ConfigValues.of("", relativeValues));
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public List<String> topics() {
        return topics;
    }

    public String groupId() {
        return groupId;
    }

    /** The dead-letter topic of records read from {@code topic}. */
    public String deadLetterTopicFor(String topic) {
        return deadLetterTopic != null ? deadLetterTopic : topic + deadLetterSuffix;
    }

    public int deadLetterMaxHeaderBytes() {
        return deadLetterMaxHeaderBytes;
    }

    public Duration commitInterval() {
        return commitInterval;
    }

    public Duration pollTimeout() {
        return pollTimeout;
    }

    public Duration revokeTimeout() {
        return revokeTimeout;
    }

    public Duration settlementFailureRetry() {
        return settlementFailureRetry;
    }

    public Duration settlementFailureMaxRetry() {
        return settlementFailureMaxRetry;
    }

    public int retryMaxWaiting() {
        return retryMaxWaiting;
    }

    /** The {@code kafka.*} entries with the prefix removed, as given (secrets included: never log this map). */
    public Map<String, String> clientProperties() {
        return clientProperties;
    }

    /**
     * The full key of {@code relativeName} as the operator wrote it, prefix included
     * ({@code org.killbill.billing.plugin.meterstream.sources.usage.bootstrap-servers}): what a
     * health detail or a start-up error names.
     */
    public String fullKey(String relativeName) {
        return keyPrefix + relativeName;
    }

    /** True for property names whose values must never be printed. */
    public static boolean isSecretProperty(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.contains("password") || n.contains("secret") || n.contains("sasl.jaas.config")
                || n.contains("token") || n.contains("credential") || n.endsWith(".key") || n.contains("private");
    }

    /** Every setting, with secrets masked. */
    @Override
    public String toString() {
        Map<String, String> safe = new LinkedHashMap<>();
        clientProperties.forEach((k, v) -> safe.put(k, isSecretProperty(k) ? "******" : v));
        return "KafkaSourceConfig{bootstrap-servers=" + bootstrapServers + ", topics=" + topics + ", group-id=" + groupId
                + ", dead-letter.topic=" + (deadLetterTopic == null ? "<topic>" + deadLetterSuffix : deadLetterTopic)
                + ", dead-letter.max-header-bytes=" + deadLetterMaxHeaderBytes + ", commit-interval=" + commitInterval
                + ", poll-timeout=" + pollTimeout + ", revoke-timeout=" + revokeTimeout
                + ", settlement-failure.retry-after=" + settlementFailureRetry
                + ", settlement-failure.max-retry-after=" + settlementFailureMaxRetry + ", retry.max-waiting=" + retryMaxWaiting
                + ", kafka=" + safe + '}';
    }
}
