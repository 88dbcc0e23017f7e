package io.github.meterstream.core.source;

import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.failure.DeadLetterEnvelope;

import java.time.Duration;

import static io.github.meterstream.core.config.ConfigKey.atLeast;
import static io.github.meterstream.core.config.ConfigKey.positive;

/**
 * The configuration keys of concepts that several brokers share, declared once so that every adapter
 * calls them by one name: an operator who set up TLS or a dead-letter queue for one broker writes the
 * same keys for the next. An adapter lists the ones it uses in its own key list, unchanged or with
 * its broker's default ({@link ConfigKey#withDefault}) or one more rule ({@link ConfigKey#rule});
 * the name, type and meaning stay those declared here.
 */
public final class SourceKeys {

    /** Default type of a trust or key store. */
    public static final String DEFAULT_STORE_TYPE = "PKCS12";

    /** No default here: some brokers have a default user, others none. */
    public static final ConfigKey<String> USERNAME = ConfigKey.string("username", null, "User name for the broker.");
    public static final ConfigKey<String> PASSWORD = ConfigKey.string("password", null, "Password for the broker.").secret();

    /** The destination a queue-based broker consumes; each adapter says how consumers share it. */
    public static final ConfigKey<String> QUEUE = ConfigKey.string("queue", null, "Queue to consume.");

    /** How many consumers this source runs on this node; the default and what one means is the adapter's. */
    public static final ConfigKey<Integer> CONSUMERS = ConfigKey.integer("consumers", 1,
            "Consumers of this source on this node.").rule(atLeast(1), "must be at least 1");

    /** No default here: what a good prefetch is depends on the broker's client. */
    public static final ConfigKey<Integer> PREFETCH = ConfigKey.integer("prefetch", 1,
            "Unacknowledged messages the broker sends ahead to each consumer.").rule(atLeast(1), "must be at least 1")
            .required();

    /** No default here: how soon to try again depends on what reconnecting costs on the broker. */
    public static final ConfigKey<Duration> RECONNECT_DELAY = ConfigKey.duration("reconnect-delay", null,
            "Wait before connecting again after the connection to the broker failed or was lost.")
            .rule(positive(), "must be longer than zero");

    /** No default here: the adapter derives it from the consumed queue. */
    public static final ConfigKey<String> DEAD_LETTER_QUEUE = ConfigKey.string("dead-letter.queue", null,
            "Queue that receives the dead-lettered copies (original body and headers plus the envelope).");

    public static final ConfigKey<Integer> DEAD_LETTER_MAX_HEADER_BYTES = ConfigKey.integer("dead-letter.max-header-bytes",
            DeadLetterEnvelope.DEFAULT_MAX_HEADER_BYTES, "Cap on each envelope header value of a dead-lettered copy, in UTF-8 bytes.")
            .rule(atLeast(64), "must be at least 64");

    public static final ConfigKey<String> TLS_TRUSTSTORE_PATH = ConfigKey.string("tls.truststore.path", null,
            "Trust store with the broker's certificate or its CA. Unset: the JVM's trust store.");
    public static final ConfigKey<String> TLS_TRUSTSTORE_PASSWORD = ConfigKey.string("tls.truststore.password", null,
            "Password of tls.truststore.path.").secret();
    public static final ConfigKey<String> TLS_TRUSTSTORE_TYPE = ConfigKey.string("tls.truststore.type", DEFAULT_STORE_TYPE,
            "Type of tls.truststore.path: PKCS12 or JKS.");
    public static final ConfigKey<String> TLS_KEYSTORE_PATH = ConfigKey.string("tls.keystore.path", null,
            "Key store with this client's certificate and key, for brokers that require client certificates.");
    public static final ConfigKey<String> TLS_KEYSTORE_PASSWORD = ConfigKey.string("tls.keystore.password", null,
            "Password of tls.keystore.path.").secret();
    public static final ConfigKey<String> TLS_KEYSTORE_TYPE = ConfigKey.string("tls.keystore.type", DEFAULT_STORE_TYPE,
            "Type of tls.keystore.path: PKCS12 or JKS.");

    private SourceKeys() {
    }
}
