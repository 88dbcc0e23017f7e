package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.recovery.RecordedBinding;
import com.rabbitmq.client.impl.recovery.RecordedExchange;
import com.rabbitmq.client.impl.recovery.RecordedQueue;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns a {@link RabbitMqSourceConfig} into an amqp-client {@link ConnectionFactory}: address and
 * credentials, TLS from PKCS12 stores, and automatic connection and topology recovery. Errors
 * name the key to fix and never contain a secret.
 */
public final class ClientConnectionFactory {

    private ClientConnectionFactory() {
    }

    public static ConnectionFactory create(RabbitMqSourceConfig config, String sourceName) {
        ConnectionFactory f = new ConnectionFactory();
        if (config.uri() != null) {
            try {
                f.setUri(config.uri());
            } catch (Exception e) {
                // the exception text could quote the URI, and with it a password
                throw new IllegalStateException(config.fullKey(RabbitMqSourceConfig.URI) + " is not usable ("
                        + e.getClass().getSimpleName() + ')');
            }
        } else {
            f.setHost(config.host());
            f.setPort(config.port());
            f.setVirtualHost(config.virtualHost());
            f.setUsername(config.username());
            f.setPassword(config.password());
        }
        if (config.tlsEnabled()) {
            // replaces the trust-everything context that setUri("amqps://...") installs
            f.useSslProtocol(sslContext(config));
            if (config.verifyHostname()) {
                f.enableHostnameVerification();
            }
        }
        f.setConnectionTimeout(millis(config.connectionTimeout().toMillis()));
        f.setHandshakeTimeout(millis(config.connectionTimeout().toMillis()));
        f.setRequestedHeartbeat((int) Math.max(1, config.heartbeat().getSeconds()));
        f.setChannelRpcTimeout(millis(Math.max(10_000, config.connectionTimeout().toMillis())));
        f.setAutomaticRecoveryEnabled(true);
        f.setTopologyRecoveryEnabled(true);
        // Consumers only. The client would re-declare queues, exchanges and bindings on the channel
        // that first declared them, a short-lived one since closed: each recovery logged six errors
        // and declared nothing. A consumer whose queue is missing after a recovery declares the
        // topology itself (ConsumerChannel.afterConnectionRecovery).
        f.setTopologyRecoveryFilter(new TopologyRecoveryFilter() {
            @Override
            public boolean filterExchange(RecordedExchange exchange) {
                return false;
            }

            @Override
            public boolean filterQueue(RecordedQueue queue) {
                return false;
            }

            @Override
            public boolean filterBinding(RecordedBinding binding) {
                return false;
            }
        });
        f.setNetworkRecoveryInterval(config.recoveryInterval().toMillis());
        AtomicInteger n = new AtomicInteger();
        f.setThreadFactory(r -> {
            Thread t = new Thread(r, "meterstream-" + sourceName + "-amqp-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return f;
    }

    private static int millis(long ms) {
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    private static SSLContext sslContext(RabbitMqSourceConfig config) {
        try {
            KeyManager[] keyManagers = null;
            if (config.keystorePath() != null) {
                char[] pw = chars(config.keystorePassword());
                KeyStore ks = load(config.keystorePath(), config.keystoreType(), pw, config.fullKey(RabbitMqSourceConfig.TLS_KEYSTORE_PASSWORD));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, pw);
                keyManagers = kmf.getKeyManagers();
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(config.truststorePath() == null ? null : load(config.truststorePath(), config.truststoreType(), chars(config.truststorePassword()),
                    config.fullKey(RabbitMqSourceConfig.TLS_TRUSTSTORE_PASSWORD)));
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManagers, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS could not be set up: " + e.getMessage(), e);
        }
    }

    private static char[] chars(String s) {
        return s == null ? new char[0] : s.toCharArray();
    }

    private static KeyStore load(Path path, String type, char[] password, String passwordKey) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(path)) {
            ks.load(in, password);
        } catch (IOException e) {
            throw new IllegalStateException(type + " store " + path + " could not be read (wrong " + passwordKey
                    + ", or not " + type + "): " + e.getMessage(), e);
        }
        return ks;
    }
}
