package io.github.meterstream.activemq;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import static io.github.meterstream.core.config.ConfigKey.atLeast;
import static io.github.meterstream.core.config.ConfigKey.positive;

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
    public static final String DEFAULT_STORE_TYPE = "PKCS12";
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
    public static final ConfigKey<String> USERNAME = ConfigKey.string("username", null,
            "User name for the broker; unset for a broker without authentication.");
    public static final ConfigKey<String> PASSWORD = ConfigKey.string("password", null,
            "Password for the broker.").secret();
    public static final ConfigKey<String> QUEUE = ConfigKey.string("queue", null,
            "Queue to consume; several consumers and several nodes compete for its messages. Set this or virtual-topic.");
    public static final ConfigKey<String> VIRTUAL_TOPIC = ConfigKey.string("virtual-topic", null,
            "Topic that producers publish to as a virtual topic (usage or VirtualTopic.usage); the source consumes "
                    + "the queue Consumer.<consumer-name>.VirtualTopic.<topic>. Set this or queue.");
    public static final ConfigKey<String> CONSUMER_NAME = ConfigKey.string("consumer-name", null,
            "Name of this application's consumer queue of the virtual topic; every node of one application uses "
                    + "the same name. Required with virtual-topic.")
            .rule(n -> n.matches("[A-Za-z0-9_\\-]+"), "must contain only letters, digits, '_' and '-'");
    public static final ConfigKey<String> DEAD_LETTER_QUEUE = ConfigKey.string("dead-letter-queue", null,
            "Queue that receives dead-lettered messages with the envelope as properties; default <queue>" + DEAD_LETTER_SUFFIX + ".");
    public static final ConfigKey<Integer> CONSUMERS = ConfigKey.integer("consumers", DEFAULT_CONSUMERS,
            "Consumers of this source, each with its own JMS session and thread.").rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Integer> PREFETCH = ConfigKey.integer("prefetch", DEFAULT_PREFETCH,
            "Messages the broker pushes ahead to each consumer; they wait in the client and go back to the queue "
                    + "when the source closes.").rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Duration> RECONNECT_DELAY = ConfigKey.duration("reconnect-delay", DEFAULT_RECONNECT_DELAY,
            "Wait before reconnecting after a connection failure (URLs without failover:), and before a message "
                    + "whose settlement failed is delivered again.").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Integer> DEAD_LETTER_MAX_HEADER_BYTES = ConfigKey.integer("dead-letter.max-header-bytes",
            DeadLetterEnvelope.DEFAULT_MAX_HEADER_BYTES, "Cap on each envelope property value, in UTF-8 bytes.")
            .rule(atLeast(64), "must be at least 64");
    public static final ConfigKey<String> SSL_KEYSTORE = ConfigKey.string("ssl.keystore", null,
            "Key store (file path or URL) holding this client's certificate, for brokers that require client certificates.")
            .rule(ActiveMqSourceConfig::isReadableStore, "must be a readable file or a URL");
    public static final ConfigKey<String> SSL_KEYSTORE_PASSWORD = ConfigKey.string("ssl.keystore-password", null,
            "Password of ssl.keystore.").secret();
    public static final ConfigKey<String> SSL_KEY_PASSWORD = ConfigKey.string("ssl.key-password", null,
            "Password of the private key in ssl.keystore; default ssl.keystore-password.").secret();
    public static final ConfigKey<String> SSL_KEYSTORE_TYPE = ConfigKey.string("ssl.keystore-type", DEFAULT_STORE_TYPE,
            "Type of ssl.keystore: PKCS12 or JKS.");
    public static final ConfigKey<String> SSL_TRUSTSTORE = ConfigKey.string("ssl.truststore", null,
            "Trust store (file path or URL) with the broker's certificate or its CA; default the JVM's trust store.")
            .rule(ActiveMqSourceConfig::isReadableStore, "must be a readable file or a URL");
    public static final ConfigKey<String> SSL_TRUSTSTORE_PASSWORD = ConfigKey.string("ssl.truststore-password", null,
            "Password of ssl.truststore.").secret();
    public static final ConfigKey<String> SSL_TRUSTSTORE_TYPE = ConfigKey.string("ssl.truststore-type", DEFAULT_STORE_TYPE,
            "Type of ssl.truststore: PKCS12 or JKS.");

    /** Every key of this config, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(BROKER_URL, USERNAME, PASSWORD, QUEUE, VIRTUAL_TOPIC,
            CONSUMER_NAME, DEAD_LETTER_QUEUE, CONSUMERS, PREFETCH, RECONNECT_DELAY, DEAD_LETTER_MAX_HEADER_BYTES,
            SSL_KEYSTORE, SSL_KEYSTORE_PASSWORD, SSL_KEY_PASSWORD, SSL_KEYSTORE_TYPE, SSL_TRUSTSTORE,
            SSL_TRUSTSTORE_PASSWORD, SSL_TRUSTSTORE_TYPE);

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

    private ActiveMqSourceConfig(ConfigValues v) {
        String prefix = v.prefix();
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
        this.sslKeystore = v.get(SSL_KEYSTORE);
        this.sslKeystorePassword = v.get(SSL_KEYSTORE_PASSWORD);
        this.sslKeyPassword = v.get(SSL_KEY_PASSWORD);
        this.sslKeystoreType = v.get(SSL_KEYSTORE_TYPE);
        this.sslTruststore = v.get(SSL_TRUSTSTORE);
        this.sslTruststorePassword = v.get(SSL_TRUSTSTORE_PASSWORD);
        this.sslTruststoreType = v.get(SSL_TRUSTSTORE_TYPE);
        if (usesSslStores() && !brokerUrl.toLowerCase(Locale.ROOT).contains("ssl://")) {
            throw new ConfigException(prefix + (sslKeystore != null ? SSL_KEYSTORE.name() : SSL_TRUSTSTORE.name()),
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
                + ", sslKeystore=" + sslKeystore + ", sslKeystorePassword=" + SSL_KEYSTORE_PASSWORD.printable(sslKeystorePassword)
                + ", sslKeyPassword=" + SSL_KEY_PASSWORD.printable(sslKeyPassword) + ", sslKeystoreType=" + sslKeystoreType
                + ", sslTruststore=" + sslTruststore
                + ", sslTruststorePassword=" + SSL_TRUSTSTORE_PASSWORD.printable(sslTruststorePassword)
                + ", sslTruststoreType=" + sslTruststoreType + '}';
    }
}
