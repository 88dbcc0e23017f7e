package io.github.meterstream.activemq.internal;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.SourceHealth;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.transport.DefaultTransportListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.jms.JMSException;
import javax.jms.JMSSecurityException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The source's one connection (its consumers each open a session on it) and what is known about
 * it. Health follows the client: a failover transport reports "interrupted" and "resumed" through
 * a {@link org.apache.activemq.transport.TransportListener} and reconnects by itself; without
 * failover, the {@link javax.jms.ExceptionListener} reports the connection dead, and the next
 * consumer that needs it opens a new one after {@code reconnect-delay}.
 */
public final class ConnectionSupervisor {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionSupervisor.class);

    /** Where the supervisor reports the connection's state: the source's health. */
    public interface HealthReport {
        void report(SourceHealth.State state, String detail);

        SourceHealth.State current();

        /** A connection attempt failed: the since of the first one is kept, the log line bounded (the base class's). */
        void attemptFailed(String detail);
    }

    private final String sourceName;
    private final ActiveMqSourceConfig config;
    private final HealthReport health;
    private final ActiveMQConnectionFactory factory;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object connectLock = new Object();
    private volatile ActiveMQConnection connection;
    private volatile boolean closed;

    public ConnectionSupervisor(String sourceName, ActiveMqSourceConfig config, HealthReport health) {
        this.sourceName = sourceName;
        this.config = config;
        this.health = health;
        this.factory = ConnectionFactories.create(config);
    }

    void connected(String detail) {
        if (health.current() != SourceHealth.State.CONNECTED) {
            health.report(SourceHealth.State.CONNECTED, detail);
        }
    }

    /** Lost a connection it had: {@code DISCONNECTED} now; while never connected, one more failed attempt. */
    void disconnected(String detail) {
        if (health.current() == SourceHealth.State.CONNECTED) {
            health.report(SourceHealth.State.DISCONNECTED, detail);
        } else {
            health.attemptFailed(config.fullKey(ActiveMqSourceConfig.BROKER_URL) + '=' + config.redactedUrl() + ": " + detail);
        }
    }

    boolean isClosed() {
        return closed;
    }

    boolean isCurrent(ActiveMQConnection c) {
        return c != null && c == connection && !c.isClosed() && !c.isTransportFailed();
    }

    /** The open connection, creating and starting one if needed. With failover this waits for a broker. */
    ActiveMQConnection connection() throws JMSException {
        synchronized (connectLock) {
            ActiveMQConnection c = connection;
            if (c != null && !c.isClosed() && !c.isTransportFailed()) {
                return c;
            }
            if (closed) {
                throw new javax.jms.IllegalStateException("source " + sourceName + " is closed");
            }
            c = config.username() == null ? (ActiveMQConnection) factory.createConnection()
                    : (ActiveMQConnection) factory.createConnection(config.username(), config.password());
            final ActiveMQConnection created = c;
            c.setExceptionListener(e -> onConnectionLost(created, e));
            c.addTransportListener(new DefaultTransportListener() {
                @Override
                public void transportInterupted() {
                    LOG.warn("source {}: connection to {} interrupted; failover is reconnecting", sourceName, config.redactedUrl());
                    disconnected("connection interrupted; failover is reconnecting");
                }

                @Override
                public void transportResumed() {
                    LOG.info("source {}: connection to {} resumed", sourceName, config.redactedUrl());
                    health.report(SourceHealth.State.CONNECTED, "connection resumed");
                }

                @Override
                public void onException(IOException error) {
                    // the exception listener reports it with the connection it concerns
                }
            });
            // published before start(): close() can close a connection still waiting for a broker
            connection = c;
            try {
                c.start();
            } catch (JMSException | RuntimeException e) {
                connection = null;
                closeQuietly(c);
                throw e;
            }
            if (closed) {
                closeQuietly(c);
                throw new javax.jms.IllegalStateException("source " + sourceName + " is closed");
            }
            LOG.info("source {}: connected to {} as {}", sourceName, config.redactedUrl(),
                    config.username() == null ? "(anonymous)" : config.username());
            return c;
        }
    }

    private void onConnectionLost(ActiveMQConnection c, JMSException e) {
        if (closed) {
            return;
        }
        if (health.current() == SourceHealth.State.CONNECTED) {
            LOG.warn("source {}: connection to {} lost: {}", sourceName, config.redactedUrl(), AbstractBrokerSource.describe(e));
            disconnected("connection lost: " + AbstractBrokerSource.describe(e));
        } else {
            failed(e); // a connection refused while it was being set up (credentials): one more failed attempt
        }
        forget(c);
    }

    /** Drops {@code c} if it is the current connection; the next {@link #connection()} opens a new one. */
    void forget(ActiveMQConnection c) {
        if (c != null && connection == c) {
            connection = null;
            closeQuietly(c);
        }
    }

    /**
     * Reports a failure to connect or consume, for health and logs (at a bounded rate, however many
     * consumers fail): {@code CONNECTING} (or {@code DISCONNECTED}) since the first failure in a
     * row, naming the keys to check.
     */
    void failed(Exception e) {
        String what;
        if (e instanceof JMSSecurityException) {
            what = config.fullKey(ActiveMqSourceConfig.USERNAME) + '=' + config.username() + ", "
                    + config.fullKey(ActiveMqSourceConfig.PASSWORD) + ": credentials rejected by " + config.redactedUrl() + ": "
                    + AbstractBrokerSource.describe(e);
        } else if (storePasswordRefused(e)) {
            what = config.fullKey(ActiveMqSourceConfig.BROKER_URL) + '=' + config.redactedUrl() + ": a key or trust store did not"
                    + " open, check " + storePasswordKeys() + ": " + AbstractBrokerSource.describe(e);
        } else if (hasCause(e, javax.net.ssl.SSLException.class)) {
            what = config.fullKey(ActiveMqSourceConfig.BROKER_URL) + '=' + config.redactedUrl() + ": TLS failed, check "
                    + config.fullKey(ActiveMqSourceConfig.TLS_TRUSTSTORE_PATH) + " and "
                    + config.fullKey(ActiveMqSourceConfig.TLS_KEYSTORE_PATH) + ": " + AbstractBrokerSource.describe(e);
        } else {
            what = config.fullKey(ActiveMqSourceConfig.BROKER_URL) + '=' + config.redactedUrl() + ": "
                    + AbstractBrokerSource.describe(e);
        }
        health.attemptFailed(what);
    }

    /** The JDK says "keystore password was incorrect" for trust stores too: which store is not told. */
    private static boolean storePasswordRefused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("password was incorrect")) {
                return true;
            }
        }
        return false;
    }

    private String storePasswordKeys() {
        StringBuilder keys = new StringBuilder();
        if (config.sslTruststore() != null) {
            keys.append(config.fullKey(ActiveMqSourceConfig.TLS_TRUSTSTORE_PASSWORD));
        }
        if (config.sslKeystore() != null) {
            keys.append(keys.length() == 0 ? "" : " and ").append(config.fullKey(ActiveMqSourceConfig.TLS_KEYSTORE_PASSWORD))
                    .append(" (or ").append(config.fullKey(ActiveMqSourceConfig.TLS_KEY_PASSWORD)).append(')');
        }
        return keys.toString();
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** Waits {@code delay} or until the source closes; false once closed. */
    boolean pause(Duration delay) {
        try {
            return !stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Marks the source closing: waits end, no new connection opens. Does not close the connection yet. */
    public void markClosed() {
        closed = true;
        stopped.countDown();
    }

    /** Closes the connection; the broker returns every unacknowledged message to the queue. */
    public void closeConnection() {
        ActiveMQConnection c = connection;
        connection = null;
        if (c != null) {
            closeQuietly(c);
        }
    }

    private void closeQuietly(ActiveMQConnection c) {
        try {
            c.close();
        } catch (JMSException | RuntimeException e) {
            LOG.debug("source {}: closing connection: {}", sourceName, AbstractBrokerSource.describe(e));
        }
    }
}
