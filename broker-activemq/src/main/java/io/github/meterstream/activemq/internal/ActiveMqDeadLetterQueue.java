package io.github.meterstream.activemq.internal;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
import io.github.meterstream.core.deadletter.DeadLetterQueue;
import io.github.meterstream.core.failure.DeadLetterEnvelope;

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import java.util.Enumeration;
import java.util.Map;
import java.util.function.Function;

/**
 * A source's dead-letter queue for tools. The walk browses the queue (nothing moves); a redriven
 * message is then taken by its message id and sent to its original queue in one local transaction
 * of one session, so the broker moves it whole or not at all.
 */
public final class ActiveMqDeadLetterQueue implements DeadLetterQueue {

    private static final long TAKE_TIMEOUT_MS = 5_000;

    private final ActiveMqSourceConfig config;
    private final Connection connection;

    public ActiveMqDeadLetterQueue(String name, ActiveMqSourceConfig config) {
        this.config = config;
        try {
            this.connection = ConnectionFactories.create(config).createConnection(config.username(), config.password());
            connection.start();
        } catch (JMSException e) {
            throw new IllegalStateException("cannot connect to ActiveMQ at " + config.redactedUrl() + " for " + describe() + ": " + e, e);
        }
    }

    @Override
    public String describe() {
        return "ActiveMQ queue " + config.deadLetterQueue() + " (dead letters of " + config.queue() + ')';
    }

    @Override
    public int walk(Function<DeadLetter, Action> decide) {
        int redriven = 0;
        try (Session browsing = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
             Session moving = connection.createSession(true, Session.SESSION_TRANSACTED)) {
            Queue dlq = browsing.createQueue(config.deadLetterQueue());
            try (QueueBrowser browser = browsing.createBrowser(dlq)) {
                Enumeration<?> messages = browser.getEnumeration();
                while (messages.hasMoreElements()) {
                    Message m = (Message) messages.nextElement();
                    Map<String, String> headers = JmsMessageCodec.headers(m);
                    DeadLetter d = new DeadLetter(m.getJMSMessageID(), DeadLetterEnvelope.fromHeaders(headers).orElse(null),
                            JmsMessageCodec.payload(m), headers);
                    Action action = decide.apply(d);
                    if (action == Action.STOP) {
                        break;
                    }
                    if (action == Action.REDRIVE && move(moving, d)) {
                        redriven++;
                    }
                }
            }
            return redriven;
        } catch (JMSException e) {
            throw new IllegalStateException("walking " + describe() + " failed after " + redriven + " redriven: " + e, e);
        }
    }

    /** Takes {@code d} off the dead-letter queue and sends it back, in one transaction; false when it was gone already. */
    private boolean move(Session session, DeadLetter d) throws JMSException {
        DeadLetterEnvelope envelope = d.envelope();
        if (envelope == null) {
            throw new IllegalStateException(d.id() + " carries no dead-letter envelope: its destination is unknown");
        }
        Queue dlq = session.createQueue(config.deadLetterQueue());
        String selector = "JMSMessageID = '" + d.id().replace("'", "''") + "'";
        try (MessageConsumer take = session.createConsumer(dlq, selector);
             MessageProducer back = session.createProducer(session.createQueue(envelope.coordinates().destination()))) {
            Message dead = take.receive(TAKE_TIMEOUT_MS);
            if (dead == null) {
                session.rollback();
                return false;
            }
            back.send(JmsMessageCodec.redriveCopy(dead, session, envelope.attempts()), DeliveryMode.PERSISTENT, dead.getJMSPriority(), 0);
            session.commit();
            return true;
        } catch (JMSException | RuntimeException e) {
            try {
                session.rollback();
            } catch (JMSException ignored) {
                // the connection is gone: the broker rolls the transaction back itself
            }
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (JMSException e) {
            // closing a connection the broker dropped already
        }
    }
}
