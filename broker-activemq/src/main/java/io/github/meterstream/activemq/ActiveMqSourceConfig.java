package io.github.meterstream.activemq;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.source.SourceKeys;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import static io.github.meterstream.core.config.ConfigKey.atLeast;

/**
 * How an {@link ActiveMqSource} connects and what it consumes. Immutable; every key is declared
 * once below (name, type, default, description, rules); {@link #from(ConfigValues)} checks every
 * rule and the rules between keys, and a bad value fails with a {@link ConfigException} naming the
 * key. {@link #toString()} prints every value except secrets.
 */
public final class ActiveMqSourceConfig {

    public static final int DEFAULT_CONSUMERS = 1;
    public static final int DEFAULT_PREFETCH = 100;
    public static final Duration DEFAULT_RECONNECT_DELAY = Duration.ofSeconds(1);
    public static final String DEFAULT_STORE_TYPE = SourceKeys.DEFAULT_STORE_TYPE;
    /** Suffix of the default dead-letter queue: {@code <queue>.DLQ}. */
    public static final String DEAD_LETTER_SUFFIX = ".DLQ";

    private static final Pattern URL_SCHEME = Pattern.compile(
            "^(tcp|ssl|nio|nio\\+ssl|auto|auto\\+ssl|auto\\+nio|auto\\+nio\\+ssl|failover|vm|discovery|static):.+",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern PASSWORD_IN_URL = Pattern.compile("(?i)(password=)[^&)]*");

    public static final ConfigKey<String> BROKER_URL = ConfigKey.string("broker-url", null,
            "OpenWire URL: tcp://host:61616, ssl://host:61617, or failover:(tcp://a:61616,tcp://b:61616) to "
                    + "reconnect by itself. Put credentials in username/password, not in the URL.")
            .required().rule(u -> URL_SCHEME.matcher(u.trim()).matches(),
                    "must be an ActiveMQ URL such as tcp://host:61616, ssl://host:61617 or failover:(tcp://a,tcp://b)");
    public static final ConfigKey<String> USERNAME = SourceKeys.USERNAME.withDescription(
            "User name for the broker; unset for a broker without authentication.");
    public static final ConfigKey<String> PASSWORD = SourceKeys.PASSWORD;
    public static final ConfigKey<String> QUEUE = SourceKeys.QUEUE.withDescription(
            "Queue to consume; several consumers and several nodes compete for its messages. Set this or virtual-topic.");
    public static final ConfigKey<String> VIRTUAL_TOPIC = ConfigKey.string("virtual-topic", null,
            "Topic that producers publish to as a virtual topic (usage or VirtualTopic.usage); the source consumes "
                    + "the queue Consumer.<consumer-name>.VirtualTopic.<topic>. Set this or queue.");
    public static final ConfigKey<String> CONSUMER_NAME = ConfigKey.string("consumer-name", null,
            "Name of this application's consumer queue of the virtual topic; every node of one application uses "
                    + "the same name. Required with virtual-topic.")
            .rule(n -> n.matches("[A-Za-z0-9_\\-]+"), "must contain only letters, digits, '_' and '-'");
    public static final ConfigKey<String> DEAD_LETTER_QUEUE = SourceKeys.DEAD_LETTER_QUEUE.withDescription(
            SourceKeys.DEAD_LETTER_QUEUE.description() + " The envelope travels as message properties. Default <queue>"
                    + DEAD_LETTER_SUFFIX + ".");
    public static final ConfigKey<Integer> CONSUMERS = SourceKeys.CONSUMERS.withDefault(DEFAULT_CONSUMERS)
            .withDescription("Consumers of this source, each with its own JMS session and thread.");
    public static final ConfigKey<Integer> PREFETCH = SourceKeys.PREFETCH.withDefault(DEFAULT_PREFETCH)
            .withDescription("Messages the broker pushes ahead to each consumer; they wait in the client and go back to the queue "
                    + "when the source closes.");
    public static final ConfigKey<Duration> RECONNECT_DELAY = SourceKeys.RECONNECT_DELAY.withDefault(DEFAULT_RECONNECT_DELAY)
            .withDescription(SourceKeys.RECONNECT_DELAY.description() + " Used with URLs without failover: (which "
                    + "reconnect by themselves); also the wait before a message whose settlement failed is delivered again.");
    public static final ConfigKey<Integer> DEAD_LETTER_MAX_HEADER_BYTES = SourceKeys.DEAD_LETTER_MAX_HEADER_BYTES;
    public static final ConfigKey<String> TLS_KEYSTORE_PATH = SourceKeys.TLS_KEYSTORE_PATH
            .withDescription(SourceKeys.TLS_KEYSTORE_PATH.description() + " A file path or a URL; needs an ssl:// broker-url.")
            .rule(ActiveMqSourceConfig::isReadableStore, "must be a readable file or a URL");
    public static final ConfigKey<String> TLS_KEYSTORE_PASSWORD = SourceKeys.TLS_KEYSTORE_PASSWORD;
    public static final ConfigKey<String> TLS_KEY_PASSWORD = ConfigKey.string("tls.keystore.key-password", null,
            "Password of the private key in tls.keystore.path; default tls.keystore.password.").secret();
    public static final ConfigKey<String> TLS_KEYSTORE_TYPE = SourceKeys.TLS_KEYSTORE_TYPE;
    public static final ConfigKey<String> TLS_TRUSTSTORE_PATH = SourceKeys.TLS_TRUSTSTORE_PATH
            .withDescription(SourceKeys.TLS_TRUSTSTORE_PATH.description() + " A file path or a URL; needs an ssl:// broker-url.")
            .rule(ActiveMqSourceConfig::isReadableStore, "must be a readable file or a URL");
    public static final ConfigKey<String> TLS_TRUSTSTORE_PASSWORD = SourceKeys.TLS_TRUSTSTORE_PASSWORD;
    public static final ConfigKey<String> TLS_TRUSTSTORE_TYPE = SourceKeys.TLS_TRUSTSTORE_TYPE;

    /** Every key of this config, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(BROKER_URL, USERNAME, PASSWORD, QUEUE, VIRTUAL_TOPIC,
            CONSUMER_NAME, DEAD_LETTER_QUEUE, CONSUMERS, PREFETCH, RECONNECT_DELAY, DEAD_LETTER_MAX_HEADER_BYTES,
            TLS_TRUSTSTORE_PATH, TLS_TRUSTSTORE_PASSWORD, TLS_TRUSTSTORE_TYPE, TLS_KEYSTORE_PATH,
            TLS_KEYSTORE_PASSWORD, TLS_KEY_PASSWORD, TLS_KEYSTORE_TYPE);

    private final String brokerUrl;
    private final String username;
    private final String password;
    private final String queue;
    private final String virtualTopic;
    private final String consumerName;
    private final String deadLetterQueue;
    private final int consumers;
    private final int prefetch;
    private final Duration reconnectDelay;
    private final int deadLetterMaxHeaderBytes;
    private final String sslKeystore;
    private final String sslKeystorePassword;
    private final String sslKeyPassword;
    private final String sslKeystoreType;
    private final String sslTruststore;
    private final String sslTruststorePassword;
    private final String sslTruststoreType;

    private final String keyPrefix;

    private ActiveMqSourceConfig(ConfigValues v) {
        String prefix = v.prefix();
        this.keyPrefix = prefix;
        this.brokerUrl = v.get(BROKER_URL).trim();
        this.username = v.get(USERNAME);
        this.password = v.get(PASSWORD);
        String q = v.get(QUEUE);
        this.virtualTopic = v.get(VIRTUAL_TOPIC);
        this.consumerName = v.get(CONSUMER_NAME);
        if (q != null && virtualTopic != null) {
            throw new ConfigException(prefix + VIRTUAL_TOPIC.name(), "must not be set together with "
                    + prefix + QUEUE.name() + " (a source consumes one queue)");
        }
        if (q == null && virtualTopic == null) {
            throw new ConfigException(prefix + QUEUE.name(), "is required unless " + prefix + VIRTUAL_TOPIC.name() + " is set");
        }
        if (virtualTopic != null && consumerName == null) {
            throw new ConfigException(prefix + CONSUMER_NAME.name(), "is required with " + prefix + VIRTUAL_TOPIC.name());
        }
        if (virtualTopic == null && consumerName != null) {
            throw new ConfigException(prefix + CONSUMER_NAME.name(), "is only used with " + prefix + VIRTUAL_TOPIC.name());
        }
        this.queue = q != null ? q.trim() : virtualTopicQueue(virtualTopic.trim(), consumerName);
        String dlq = v.get(DEAD_LETTER_QUEUE);
        this.deadLetterQueue = dlq == null ? queue + DEAD_LETTER_SUFFIX : dlq.trim();
        if (deadLetterQueue.equals(queue)) {
            throw new ConfigException(prefix + DEAD_LETTER_QUEUE.name(), "must differ from the consumed queue, was '" + dlq + "'");
        }
        this.consumers = v.get(CONSUMERS);
        this.prefetch = v.get(PREFETCH);
        this.reconnectDelay = v.get(RECONNECT_DELAY);
        this.deadLetterMaxHeaderBytes = v.get(DEAD_LETTER_MAX_HEADER_BYTES);
        this.sslKeystore = v.get(TLS_KEYSTORE_PATH);
        this.sslKeystorePassword = v.get(TLS_KEYSTORE_PASSWORD);
        this.sslKeyPassword = v.get(TLS_KEY_PASSWORD);
        this.sslKeystoreType = v.get(TLS_KEYSTORE_TYPE);
        this.sslTruststore = v.get(TLS_TRUSTSTORE_PATH);
        this.sslTruststorePassword = v.get(TLS_TRUSTSTORE_PASSWORD);
        this.sslTruststoreType = v.get(TLS_TRUSTSTORE_TYPE);
        if (usesSslStores() && !brokerUrl.toLowerCase(Locale.ROOT).contains("ssl://")) {
            throw new ConfigException(prefix + (sslKeystore != null ? TLS_KEYSTORE_PATH.name() : TLS_TRUSTSTORE_PATH.name()),
                    "is only used with an ssl:// broker URL, but " + prefix + BROKER_URL.name() + " is '" + redactedUrl() + "'");
        }
        if (password != null && username == null) {
            throw new ConfigException(prefix + USERNAME.name(), "is required when " + prefix + PASSWORD.name() + " is set");
        }
    }

    /** Reads and checks every key of {@link #KEYS}. */
    public static ActiveMqSourceConfig from(ConfigValues values) {
        return new ActiveMqSourceConfig(values);
    }

    private static boolean isReadableStore(String location) {
        return location.contains("://") || location.startsWith("classpath:") || Files.isReadable(Paths.get(location));
    }

    /** {@code Consumer.<consumerName>.VirtualTopic.<topic>}; {@code topic} may already start with {@code VirtualTopic.}. */
    static String virtualTopicQueue(String topic, String consumerName) {
        String t = topic.startsWith("VirtualTopic.") ? topic.substring("VirtualTopic.".length()) : topic;
        return "Consumer." + consumerName + ".VirtualTopic." + t;
    }

    public String brokerUrl() {
        return brokerUrl;
    }

    /** The full key of {@code key} as the operator wrote it, prefix included: what health details and errors name. */
    public String fullKey(ConfigKey<?> key) {
        return keyPrefix + key.name();
    }

    /** The broker URL with any {@code password=} parameter masked, for logs. */
    public String redactedUrl() {
        return PASSWORD_IN_URL.matcher(brokerUrl).replaceAll("$1******");
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    /** The queue consumed: the configured queue, or the virtual topic's consumer queue. */
    public String queue() {
        return queue;
    }

    /** The virtual topic, or {@code null} when a plain queue is consumed. */
    public String virtualTopic() {
        return virtualTopic;
    }

    public String consumerName() {
        return consumerName;
    }

    public String deadLetterQueue() {
        return deadLetterQueue;
    }

    public int consumers() {
        return consumers;
    }

    public int prefetch() {
        return prefetch;
    }

    public Duration reconnectDelay() {
        return reconnectDelay;
    }

    public int deadLetterMaxHeaderBytes() {
        return deadLetterMaxHeaderBytes;
    }

    /** Whether a key store or trust store is configured (then an SSL connection factory is used). */
    public boolean usesSslStores() {
        return sslKeystore != null || sslTruststore != null;
    }

    public String sslKeystore() {
        return sslKeystore;
    }

    public String sslKeystorePassword() {
        return sslKeystorePassword;
    }

    /** The key password, or the key store password when none is set. */
    public String sslKeyPassword() {
        return sslKeyPassword != null ? sslKeyPassword : sslKeystorePassword;
    }

    public String sslKeystoreType() {
        return sslKeystoreType;
    }

    public String sslTruststore() {
        return sslTruststore;
    }

    public String sslTruststorePassword() {
        return sslTruststorePassword;
    }

    public String sslTruststoreType() {
        return sslTruststoreType;
    }

    @Override
    public String toString() {
        return "ActiveMqSourceConfig{brokerUrl=" + redactedUrl() + ", username=" + username
                + ", password=" + PASSWORD.printable(password) + ", queue=" + queue
                + (virtualTopic == null ? "" : ", virtualTopic=" + virtualTopic + ", consumerName=" + consumerName)
                + ", deadLetterQueue=" + deadLetterQueue + ", consumers=" + consumers + ", prefetch=" + prefetch
                + ", reconnectDelay=" + reconnectDelay + ", deadLetterMaxHeaderBytes=" + deadLetterMaxHeaderBytes
                + ", sslKeystore=" + sslKeystore + ", sslKeystorePassword=" + TLS_KEYSTORE_PASSWORD.printable(sslKeystorePassword)
                + ", sslKeyPassword=" + TLS_KEY_PASSWORD.printable(sslKeyPassword) + ", sslKeystoreType=" + sslKeystoreType
                + ", sslTruststore=" + sslTruststore
                + ", sslTruststorePassword=" + TLS_TRUSTSTORE_PASSWORD.printable(sslTruststorePassword)
                + ", sslTruststoreType=" + sslTruststoreType + '}';
    }
}
