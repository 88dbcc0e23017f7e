package io.github.meterstream.rabbitmq;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.source.SourceKeys;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

import static io.github.meterstream.core.config.ConfigKey.atLeast;
import static io.github.meterstream.core.config.ConfigKey.positive;

/**
 * Configuration of one {@link RabbitMqSource}: where the broker is, which queue to consume, the
 * topology around it (dead-letter exchange and queue, retry queues) and how hard to consume.
 * Immutable; every key is declared once below and {@link #from(ConfigValues)} checks every rule,
 * failing with a {@link ConfigException} that names the key. {@link #toString()} never prints a
 * password or a URI (which may carry one).
 */
public final class RabbitMqSourceConfig {

    public static final String QUEUE_TYPE_CLASSIC = "classic";
    public static final String QUEUE_TYPE_QUORUM = "quorum";
    public static final List<String> DEFAULT_RETRY_DELAYS = List.of("1s", "5s", "30s", "2m", "10m");
    public static final int DEFAULT_PREFETCH = 250;
    /** Largest cap on one envelope header: twelve of them plus the original headers stay far below frame_max (128 KiB by default). */
    public static final int MAX_HEADER_BYTES_LIMIT = 8192;

    public static final ConfigKey<String> URI = ConfigKey.string("uri", null,
            "amqp:// or amqps:// URI (user, password, host, port, vhost). When set it replaces host, port, "
                    + "virtual-host, username and password; amqps turns TLS on.").secret()
            .rule(RabbitMqSourceConfig::isAmqpUri, "must be an amqp:// or amqps:// URI");
    public static final ConfigKey<String> HOST = ConfigKey.string("host", "localhost", "Broker host name.");
    public static final ConfigKey<Integer> PORT = ConfigKey.integer("port", 5672,
            "Broker port (5671 is the usual TLS port).").rule(p -> p >= 1 && p <= 65535, "must be between 1 and 65535");
    public static final ConfigKey<String> VIRTUAL_HOST = ConfigKey.string("virtual-host", "/", "Virtual host.");
    public static final ConfigKey<String> USERNAME = SourceKeys.USERNAME.withDefault("guest");
    public static final ConfigKey<String> PASSWORD = SourceKeys.PASSWORD.withDefault("guest");

    public static final ConfigKey<String> QUEUE = SourceKeys.QUEUE.required();
    public static final ConfigKey<Boolean> DECLARE_TOPOLOGY = ConfigKey.bool("declare-topology", true,
            "Declare the queue, the dead-letter exchange and queue and the retry queues at start. When false they must "
                    + "exist already: a missing work queue is reported in health (missingDestinations) and consumed once "
                    + "created; a missing dead-letter or retry queue or exchange fails start, naming it.");
    public static final ConfigKey<String> QUEUE_TYPE = ConfigKey.choice("queue-type", QUEUE_TYPE_CLASSIC,
            "Type of the queues declared (work, dead-letter, retry).", QUEUE_TYPE_CLASSIC, QUEUE_TYPE_QUORUM);
    public static final ConfigKey<Boolean> SINGLE_ACTIVE_CONSUMER = ConfigKey.bool("single-active-consumer", false,
            "Declare the work queue with x-single-active-consumer: one consumer of all nodes receives at a time, "
                    + "for strict broker order (use with consumers=1).");
    public static final ConfigKey<String> DEAD_LETTER_EXCHANGE = ConfigKey.string("dead-letter.exchange", null,
            "Direct exchange dead-letter copies are published to, with the queue name as routing key. Default <queue>.dlx.");
    public static final ConfigKey<String> DEAD_LETTER_QUEUE = SourceKeys.DEAD_LETTER_QUEUE.withDescription(
            SourceKeys.DEAD_LETTER_QUEUE.description() + " Bound to dead-letter.exchange. Default <queue>.dlq.");
    public static final ConfigKey<List<String>> RETRY_DELAYS = ConfigKey.list("retry.delays", DEFAULT_RETRY_DELAYS,
            "Delay buckets: one retry queue <queue>.retry.<millis> per delay, with that message TTL. A requested retry "
                    + "delay is rounded up to the next bucket (longer ones use the largest).");
    public static final ConfigKey<Integer> PREFETCH = SourceKeys.PREFETCH.withDefault(DEFAULT_PREFETCH)
            .withDescription("Unacknowledged messages the broker sends each consumer (basic.qos).")
            .rule(p -> p <= 65535, "must be at most 65535");
    public static final ConfigKey<Integer> CONSUMERS = SourceKeys.CONSUMERS.withDescription(
            "Consumers (one channel each) on this node. More than one gives up broker order within the node.");
    public static final ConfigKey<Duration> CONNECTION_TIMEOUT = ConfigKey.duration("connection-timeout", Duration.ofSeconds(10),
            "TCP connect and AMQP handshake timeout.").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> HEARTBEAT = ConfigKey.duration("heartbeat", Duration.ofSeconds(30),
            "Requested AMQP heartbeat; a dead peer is noticed after about twice this.").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> RECONNECT_DELAY = SourceKeys.RECONNECT_DELAY.withDefault(Duration.ofSeconds(5))
            .withDescription(SourceKeys.RECONNECT_DELAY.description() + " Also the wait between two attempts to subscribe "
                    + "again after the broker cancelled a consumer.");
    public static final ConfigKey<Duration> CONFIRM_TIMEOUT = ConfigKey.duration("confirm-timeout", Duration.ofSeconds(30),
            "How long a retry or dead-letter copy may wait for the broker's publisher confirm before the settlement "
                    + "fails (the original is then delivered again).").rule(positive(), "must be longer than zero");
    public static final ConfigKey<Integer> MAX_HEADER_BYTES = SourceKeys.DEAD_LETTER_MAX_HEADER_BYTES
            .rule(n -> n <= MAX_HEADER_BYTES_LIMIT, "must be at most " + MAX_HEADER_BYTES_LIMIT + " (the headers must fit in one frame)");
    public static final ConfigKey<Boolean> TLS_ENABLED = ConfigKey.bool("tls.enabled", false,
            "Connect with TLS (also on when uri is amqps://).");
    public static final ConfigKey<String> TLS_TRUSTSTORE_PATH = SourceKeys.TLS_TRUSTSTORE_PATH;
    public static final ConfigKey<String> TLS_TRUSTSTORE_PASSWORD = SourceKeys.TLS_TRUSTSTORE_PASSWORD;
    public static final ConfigKey<String> TLS_TRUSTSTORE_TYPE = SourceKeys.TLS_TRUSTSTORE_TYPE;
    public static final ConfigKey<String> TLS_KEYSTORE_PATH = SourceKeys.TLS_KEYSTORE_PATH;
    public static final ConfigKey<String> TLS_KEYSTORE_PASSWORD = SourceKeys.TLS_KEYSTORE_PASSWORD.withDescription(
            SourceKeys.TLS_KEYSTORE_PASSWORD.description() + " Also the password of the key in it.");
    public static final ConfigKey<String> TLS_KEYSTORE_TYPE = SourceKeys.TLS_KEYSTORE_TYPE;
    public static final ConfigKey<Boolean> TLS_VERIFY_HOSTNAME = ConfigKey.bool("tls.verify-hostname", true,
            "Check that the broker's certificate names the host connected to.");

    /** Every key, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(URI, HOST, PORT, VIRTUAL_HOST, USERNAME, PASSWORD, QUEUE,
            DECLARE_TOPOLOGY, QUEUE_TYPE, SINGLE_ACTIVE_CONSUMER, DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, RETRY_DELAYS,
            PREFETCH, CONSUMERS, CONNECTION_TIMEOUT, HEARTBEAT, RECONNECT_DELAY, CONFIRM_TIMEOUT, MAX_HEADER_BYTES,
            TLS_ENABLED, TLS_TRUSTSTORE_PATH, TLS_TRUSTSTORE_PASSWORD, TLS_TRUSTSTORE_TYPE, TLS_KEYSTORE_PATH,
            TLS_KEYSTORE_PASSWORD, TLS_KEYSTORE_TYPE, TLS_VERIFY_HOSTNAME);

    private final String prefix;
    private final String uri;
    private final String host;
    private final int port;
    private final String virtualHost;
    private final String username;
    private final String password;
    private final String queue;
    private final boolean declareTopology;
    private final String queueType;
    private final boolean singleActiveConsumer;
    private final String deadLetterExchange;
    private final String deadLetterQueue;
    private final List<Duration> retryDelays;
    private final int prefetch;
    private final int consumers;
    private final Duration connectionTimeout;
    private final Duration heartbeat;
    private final Duration recoveryInterval;
    private final Duration confirmTimeout;
    private final int maxHeaderBytes;
    private final boolean tlsEnabled;
    private final Path truststorePath;
    private final String truststorePassword;
    private final String truststoreType;
    private final Path keystorePath;
    private final String keystorePassword;
    private final String keystoreType;
    private final boolean verifyHostname;

    private RabbitMqSourceConfig(ConfigValues v) {
        this.prefix = v.prefix();
        this.uri = v.get(URI);
        this.host = v.get(HOST);
        this.port = v.get(PORT);
        this.virtualHost = v.get(VIRTUAL_HOST);
        this.username = v.get(USERNAME);
        this.password = v.get(PASSWORD);
        this.queue = v.get(QUEUE);
        this.declareTopology = v.get(DECLARE_TOPOLOGY);
        this.queueType = v.get(QUEUE_TYPE);
        this.singleActiveConsumer = v.get(SINGLE_ACTIVE_CONSUMER);
        String dlx = v.get(DEAD_LETTER_EXCHANGE);
        this.deadLetterExchange = dlx == null ? queue + ".dlx" : dlx;
        String dlq = v.get(DEAD_LETTER_QUEUE);
        this.deadLetterQueue = dlq == null ? queue + ".dlq" : dlq;
        this.retryDelays = parseDelays(prefix + RETRY_DELAYS.name(), v.get(RETRY_DELAYS));
        this.prefetch = v.get(PREFETCH);
        this.consumers = v.get(CONSUMERS);
        this.connectionTimeout = v.get(CONNECTION_TIMEOUT);
        this.heartbeat = v.get(HEARTBEAT);
        this.recoveryInterval = v.get(RECONNECT_DELAY);
        this.confirmTimeout = v.get(CONFIRM_TIMEOUT);
        this.maxHeaderBytes = v.get(MAX_HEADER_BYTES);
        this.tlsEnabled = v.get(TLS_ENABLED) || (uri != null && uri.toLowerCase(Locale.ROOT).startsWith("amqps:"));
        this.truststorePath = readableFile(v, TLS_TRUSTSTORE_PATH);
        this.truststorePassword = v.get(TLS_TRUSTSTORE_PASSWORD);
        this.truststoreType = v.get(TLS_TRUSTSTORE_TYPE);
        this.keystorePath = readableFile(v, TLS_KEYSTORE_PATH);
        this.keystorePassword = v.get(TLS_KEYSTORE_PASSWORD);
        this.keystoreType = v.get(TLS_KEYSTORE_TYPE);
        this.verifyHostname = v.get(TLS_VERIFY_HOSTNAME);
        if (deadLetterQueue.equals(queue)) {
            throw new ConfigException(prefix + DEAD_LETTER_QUEUE.name(), "must differ from the work queue '" + queue + "'");
        }
        if (!tlsEnabled && (truststorePath != null || keystorePath != null)) {
            throw new ConfigException(prefix + TLS_ENABLED.name(), "must be true (or uri amqps://) when a trust or key store is set");
        }
    }

    /**
     * Reads and checks every key of {@link #KEYS}.
     *
     * @throws ConfigException naming the key and the rule it breaks
     */
    public static RabbitMqSourceConfig from(ConfigValues values) {
        return new RabbitMqSourceConfig(values);
    }

    private static boolean isAmqpUri(String s) {
        try {
            String scheme = new URI(s).getScheme();
            return scheme != null && (scheme.equalsIgnoreCase("amqp") || scheme.equalsIgnoreCase("amqps"));
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static List<Duration> parseDelays(String fullKey, List<String> items) {
        if (items.isEmpty()) {
            throw new ConfigException(fullKey, "must name at least one delay");
        }
        ConfigKey<Duration> item = ConfigKey.duration(RETRY_DELAYS.name(), null, RETRY_DELAYS.description())
                .rule(positive(), "must list delays longer than zero")
                .rule(d -> d.toMillis() <= Integer.MAX_VALUE, "must list delays RabbitMQ accepts as a message TTL (under 24 days)");
        TreeSet<Duration> sorted = new TreeSet<>();
        for (String s : items) {
            Duration d = item.parse(fullKey, s);
            if (d.toMillis() == 0 || d.toNanos() % 1_000_000L != 0) {
                throw new ConfigException(fullKey, "must list whole milliseconds, was '" + s + "'");
            }
            sorted.add(d);
        }
        return Collections.unmodifiableList(new ArrayList<>(sorted));
    }

    private static Path readableFile(ConfigValues v, ConfigKey<String> key) {
        String p = v.get(key);
        if (p == null) {
            return null;
        }
        Path path = Paths.get(p);
        if (!Files.isReadable(path)) {
            throw new ConfigException(v.prefix() + key.name(), "must name a readable file, was '" + p + "'");
        }
        return path;
    }

    /** The prefix the keys were read under, for messages that tell an operator which key to set. */
    public String prefix() {
        return prefix;
    }

    /** The full name of {@code key} as the operator writes it. */
    public String fullKey(ConfigKey<?> key) {
        return prefix + key.name();
    }

    /** The URI, or {@code null} when host, port, virtual-host, username and password are used. May hold a password. */
    public String uri() {
        return uri;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String virtualHost() {
        return virtualHost;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    public String queue() {
        return queue;
    }

    public boolean declareTopology() {
        return declareTopology;
    }

    /** {@link #QUEUE_TYPE_CLASSIC} or {@link #QUEUE_TYPE_QUORUM}. */
    public String queueType() {
        return queueType;
    }

    public boolean singleActiveConsumer() {
        return singleActiveConsumer;
    }

    public String deadLetterExchange() {
        return deadLetterExchange;
    }

    public String deadLetterQueue() {
        return deadLetterQueue;
    }

    /** The delay buckets, shortest first, each a whole number of milliseconds. */
    public List<Duration> retryDelays() {
        return retryDelays;
    }

    /** The retry queue of one delay bucket: {@code <queue>.retry.<millis>}. */
    public String retryQueue(Duration bucket) {
        return queue + ".retry." + bucket.toMillis();
    }

    public int prefetch() {
        return prefetch;
    }

    public int consumers() {
        return consumers;
    }

    public Duration connectionTimeout() {
        return connectionTimeout;
    }

    public Duration heartbeat() {
        return heartbeat;
    }

    /** The {@code reconnect-delay} (amqp-client calls it the network recovery interval). */
    public Duration recoveryInterval() {
        return recoveryInterval;
    }

    public Duration confirmTimeout() {
        return confirmTimeout;
    }

    public int maxHeaderBytes() {
        return maxHeaderBytes;
    }

    public boolean tlsEnabled() {
        return tlsEnabled;
    }

    public Path truststorePath() {
        return truststorePath;
    }

    public String truststorePassword() {
        return truststorePassword;
    }

    public String truststoreType() {
        return truststoreType;
    }

    public Path keystorePath() {
        return keystorePath;
    }

    public String keystorePassword() {
        return keystorePassword;
    }

    public String keystoreType() {
        return keystoreType;
    }

    public boolean verifyHostname() {
        return verifyHostname;
    }

    /**
     * The keys that say where the broker is, with their values, for an error that cannot reach it:
     * {@code <prefix>host=h, <prefix>port=p}, or {@code <prefix>uri (h:p/vhost)} without the URI
     * itself (it may carry a password).
     */
    public String connectionKeys() {
        return uri != null ? fullKey(URI) + " (" + address() + ')'
                : fullKey(HOST) + '=' + host + ", " + fullKey(PORT) + '=' + port;
    }

    /** Where the broker is, for logs: never a password, never the URI (it may carry one). */
    public String address() {
        if (uri != null) {
            try {
                URI u = new URI(uri);
                String path = u.getPath();
                return u.getHost() + ':' + (u.getPort() < 0 ? (tlsEnabled ? 5671 : 5672) : u.getPort())
                        + (path == null || path.isEmpty() ? "/" : path);
            } catch (URISyntaxException e) {
                return "(uri)";
            }
        }
        return host + ':' + port + (virtualHost.startsWith("/") ? virtualHost : "/" + virtualHost);
    }

    @Override
    public String toString() {
        return "RabbitMqSourceConfig{" + URI.name() + '=' + URI.printable(uri) + ", " + HOST.name() + '=' + host
                + ", " + PORT.name() + '=' + port + ", " + VIRTUAL_HOST.name() + '=' + virtualHost
                + ", " + USERNAME.name() + '=' + username + ", " + PASSWORD.name() + '=' + PASSWORD.printable(password)
                + ", " + QUEUE.name() + '=' + queue + ", " + DECLARE_TOPOLOGY.name() + '=' + declareTopology
                + ", " + QUEUE_TYPE.name() + '=' + queueType + ", " + SINGLE_ACTIVE_CONSUMER.name() + '=' + singleActiveConsumer
                + ", " + DEAD_LETTER_EXCHANGE.name() + '=' + deadLetterExchange + ", " + DEAD_LETTER_QUEUE.name() + '=' + deadLetterQueue
                + ", " + RETRY_DELAYS.name() + '=' + retryDelays + ", " + PREFETCH.name() + '=' + prefetch
                + ", " + CONSUMERS.name() + '=' + consumers + ", " + CONNECTION_TIMEOUT.name() + '=' + connectionTimeout
                + ", " + HEARTBEAT.name() + '=' + heartbeat + ", " + RECONNECT_DELAY.name() + '=' + recoveryInterval
                + ", " + CONFIRM_TIMEOUT.name() + '=' + confirmTimeout + ", " + MAX_HEADER_BYTES.name() + '=' + maxHeaderBytes
                + ", " + TLS_ENABLED.name() + '=' + tlsEnabled + ", " + TLS_TRUSTSTORE_PATH.name() + '=' + truststorePath
                + ", " + TLS_TRUSTSTORE_PASSWORD.name() + '=' + TLS_TRUSTSTORE_PASSWORD.printable(truststorePassword)
                + ", " + TLS_TRUSTSTORE_TYPE.name() + '=' + truststoreType
                + ", " + TLS_KEYSTORE_PATH.name() + '=' + keystorePath
                + ", " + TLS_KEYSTORE_PASSWORD.name() + '=' + TLS_KEYSTORE_PASSWORD.printable(keystorePassword)
                + ", " + TLS_KEYSTORE_TYPE.name() + '=' + keystoreType
                + ", " + TLS_VERIFY_HOSTNAME.name() + '=' + verifyHostname + '}';
    }
}
