package io.github.meterstream.activemq.internal;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
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
import java.time.Instant;
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

    private final String sourceName;
    private final ActiveMqSourceConfig config;
    private final ActiveMQConnectionFactory factory;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object connectLock = new Object();
    private volatile ActiveMQConnection connection;
    private volatile boolean closed;
    private volatile SourceHealth health = SourceHealth.of(SourceHealth.State.NOT_STARTED, "", Instant.now());

    public ConnectionSupervisor(String sourceName, ActiveMqSourceConfig config) {
        this.sourceName = sourceName;
        this.config = config;
        this.factory = ConnectionFactories.create(config);
    }

    public SourceHealth health() {
        return health;
    }

    public void connecting() {
        setHealth(SourceHealth.State.CONNECTING, "connecting to " + config.redactedUrl());
    }

    void connected(String detail) {
        if (health.state() != SourceHealth.State.CONNECTED) {
            setHealth(SourceHealth.State.CONNECTED, detail);
        }
    }

    void disconnected(String detail) {
        setHealth(SourceHealth.State.DISCONNECTED, detail);
    }

    private void setHealth(SourceHealth.State state, String detail) {
        if (!closed) {
            health = SourceHealth.of(state, detail, Instant.now());
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
                    setHealth(SourceHealth.State.CONNECTED, "connection resumed");
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
        LOG.warn("source {}: connection to {} lost: {}", sourceName, config.redactedUrl(), describe(e));
        disconnected("connection lost: " + describe(e));
        forget(c);
    }

    /** Drops {@code c} if it is the current connection; the next {@link #connection()} opens a new one. */
    void forget(ActiveMQConnection c) {
        if (c != null && connection == c) {
            connection = null;
            closeQuietly(c);
        }
    }

    /** Reports a failure to connect or consume, for health and logs. */
    void failed(Exception e) {
        String what = e instanceof JMSSecurityException
                ? "credentials rejected, fix username/password: " + describe(e)
                : "cannot consume from " + config.redactedUrl() + ": " + describe(e);
        disconnected(what);
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

    /** Marks the source closing: waits end, health stays CLOSED. Does not close the connection yet. */
    public void markClosed() {
        closed = true;
        stopped.countDown();
        health = SourceHealth.of(SourceHealth.State.CLOSED, "", Instant.now());
    }

    /** Closes the connection; the broker returns every unacknowledged message to the queue. */
    public void closeConnection() {
        ActiveMQConnection c = connection;
        connection = null;
        if (c != null) {
            closeQuietly(c);
        }
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        Throwable cause = e.getCause() != null ? e.getCause() : (e instanceof JMSException ? ((JMSException) e).getLinkedException() : null);
        String s = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        if (cause != null && cause != e && cause.getMessage() != null && (m == null || !m.contains(cause.getMessage()))) {
            s += " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ')';
        }
        return s;
    }

    private void closeQuietly(ActiveMQConnection c) {
        try {
            c.close();
        } catch (JMSException | RuntimeException e) {
            LOG.debug("source {}: closing connection: {}", sourceName, describe(e));
        }
    }
}
