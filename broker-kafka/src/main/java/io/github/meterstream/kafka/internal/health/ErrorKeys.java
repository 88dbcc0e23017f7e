package io.github.meterstream.kafka.internal.health;

import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.kafka.KafkaSourceConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of the source's keys an error of the Kafka clients points at, so that a health detail or a
 * start-up error names it in full ({@code ...sources.usage.kafka.ssl.truststore.location=/x:
 * KafkaException: Failed to load SSL keystore ...}) instead of leaving the operator to guess among
 * the {@code kafka.*} settings. Values of secret keys are never shown.
 */
public final class ErrorKeys {

    private static final Pattern CLIENT_SETTING = Pattern.compile("configuration ([a-z][a-z0-9._-]*)");

    private ErrorKeys() {
    }

    /** {@code <full key>=<value>: <error>}, or just the error when no key can be told. */
    public static String explain(KafkaSourceConfig config, Throwable e) {
        String relative = relativeKeyOf(config, e);
        String error = AbstractBrokerSource.describe(e);
        return relative == null ? error : named(config, relative) + ": " + error;
    }

    /** {@code <full key>=<value>}, the value masked for a secret key. */
    public static String named(KafkaSourceConfig config, String relative) {
        String value = valueOf(config, relative);
        if (value == null) {
            return config.fullKey(relative);
        }
        return config.fullKey(relative) + '=' + (KafkaSourceConfig.isSecretProperty(relative) ? "******" : value);
    }

    /** The key, relative to the source's section, that {@code e} is about; null when none can be told. */
    public static String relativeKeyOf(KafkaSourceConfig config, Throwable e) {
        Map<String, String> client = config.clientProperties();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String text = String.valueOf(t.getMessage());
            String lower = text.toLowerCase(Locale.ROOT);
            if (t instanceof SaslAuthenticationException) {
                return KafkaSourceConfig.CLIENT_SECTION + ".sasl.jaas.config";
            }
            if (t instanceof TopicAuthorizationException) {
                return KafkaSourceConfig.TOPICS.name();
            }
            if (t instanceof GroupAuthorizationException) {
                return KafkaSourceConfig.GROUP_ID.name();
            }
            if (lower.contains("bootstrap.servers") || lower.contains("bootstrap urls")) {
                return KafkaSourceConfig.BOOTSTRAP_SERVERS.name();
            }
            String store = storeNamed(client, text);
            if (store != null) {
                return KafkaSourceConfig.CLIENT_SECTION + ".ssl." + store + (passwordWrong(t) ? ".password" : ".location");
            }
            if (t instanceof SslAuthenticationException) {
                return KafkaSourceConfig.CLIENT_SECTION + ".ssl.truststore.location";
            }
            if (t instanceof ConfigException) {
                Matcher m = CLIENT_SETTING.matcher(text);
                if (m.find()) {
                    return KafkaSourceConfig.CLIENT_SECTION + '.' + m.group(1);
                }
            }
        }
        return null;
    }

    /** "truststore" or "keystore" when {@code text} names the file one of them is configured with. */
    private static String storeNamed(Map<String, String> client, String text) {
        for (String store : new String[] {"truststore", "keystore"}) {
            for (String prefix : new String[] {"", "consumer.", "producer."}) {
                String path = client.get(prefix + "ssl." + store + ".location");
                if (path != null && !path.isBlank() && text.contains(path.trim())) {
                    return store;
                }
            }
        }
        return null;
    }

    private static boolean passwordWrong(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("password") || t instanceof java.security.UnrecoverableKeyException) {
                return true;
            }
        }
        return false;
    }

    private static String valueOf(KafkaSourceConfig config, String relative) {
        if (relative.equals(KafkaSourceConfig.BOOTSTRAP_SERVERS.name())) {
            return config.bootstrapServers();
        }
        if (relative.equals(KafkaSourceConfig.TOPICS.name())) {
            return String.join(",", config.topics());
        }
        if (relative.equals(KafkaSourceConfig.GROUP_ID.name())) {
            return config.groupId();
        }
        String prefix = KafkaSourceConfig.CLIENT_SECTION + '.';
        return relative.startsWith(prefix) ? config.clientProperties().get(relative.substring(prefix.length())) : null;
    }
}
