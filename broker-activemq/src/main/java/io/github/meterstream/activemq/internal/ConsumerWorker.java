package io.github.meterstream.activemq.internal;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One consumer of the source: its own thread, JMS session ({@code INDIVIDUAL_ACKNOWLEDGE}),
 * consumer and producer. A JMS session may be used by one thread only, so everything that touches
 * the session runs on this worker's thread: receiving, and every settlement, which other threads
 * hand over through {@link #ack}, {@link #retry} and {@link #deadLetter} and which the thread runs
 * between two receives (a receive waits at most {@link #POLL_MS}).
 */
public final class ConsumerWorker implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerWorker.class);

    /** Longest a receive waits, so that settlements handed over meanwhile run soon. */
    static final long POLL_MS = 10;

    private final int index;
    private final String sourceName;
    private final ActiveMqSourceConfig config;
    private final ConnectionSupervisor connections;
    private final DeliveryOwner owner;
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    /** Deliveries of the current session not settled yet; the broker takes them back when it closes. */
    private final Set<Delivery> delivered = new HashSet<>();
    private boolean acceptingTasks = true; // guarded by this
    private volatile boolean stopped;

    // used by the worker thread only
    private Session session;
    private MessageProducer producer;
    private Queue queue;
    private Queue deadLetterQueue;
    private Message held;

    public ConsumerWorker(int index, String sourceName, ActiveMqSourceConfig config, ConnectionSupervisor connections,
                          DeliveryOwner owner) {
        this.index = index;
        this.sourceName = sourceName;
        this.config = config;
        this.connections = connections;
        this.owner = owner;
    }

    /** Asks the thread to finish: it stops receiving, closes its session and fails later settlements. */
    public void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        while (!stopped) {
            ActiveMQConnection connection = null;
            try {
                connection = connections.connection();
                session = connection.createSession(false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
                queue = session.createQueue(config.queue());
                deadLetterQueue = session.createQueue(config.deadLetterQueue());
                MessageConsumer consumer = session.createConsumer(queue);
                producer = session.createProducer(null);
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                connections.connected("consuming queue " + config.queue() + " with " + config.consumers() + " consumer(s)");
                LOG.info("source {}: consumer {} consuming queue {}", sourceName, index, config.queue());
                consume(connection, consumer);
            } catch (JMSException | RuntimeException e) {
                if (stopped || connections.isClosed()) {
                    break;
                }
                // logged by the base class at a bounded rate, however many consumers fail the same way
                LOG.debug("source {}: consumer {} on queue {} failed, reconnecting in {}: {}", sourceName, index,
                        config.queue(), config.reconnectDelay(), AbstractBrokerSource.describe(e));
                connections.failed(e);
                if (connection != null && !connection.isTransportFailed() && !connection.isClosed() && isConnectionLevel(e)) {
                    connections.forget(connection);
                }
            } finally {
                endSession();
            }
            if (!stopped && !connections.pause(config.reconnectDelay())) {
                break;
            }
        }
        rejectRemainingTasks();
    }

    private static boolean isConnectionLevel(Exception e) {
        return e instanceof JMSException && !(e instanceof javax.jms.InvalidDestinationException);
    }

    private void consume(ActiveMQConnection connection, MessageConsumer consumer) throws JMSException {
        while (!stopped) {
            runTasks();
            if (!connections.isCurrent(connection) && !connections.isClosed()) {
                throw new javax.jms.IllegalStateException("connection lost");
            }
            boolean deliver = owner.mayDeliver();
            if (deliver && held != null) {
                Message m = held;
                held = null;
                deliver(m);
                continue;
            }
            if (!deliver) {
                waitForTask();
                continue;
            }
            Message m = consumer.receive(POLL_MS);
            if (m == null) {
                continue;
            }
            if (owner.mayDeliver()) {
                deliver(m);
            } else {
                held = m; // arrived as the source paused: delivered after resume, or returned on close
            }
        }
    }

    private void waitForTask() {
        try {
            Runnable t = tasks.poll(POLL_MS, TimeUnit.MILLISECONDS);
            if (t != null) {
                t.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    private void runTasks() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            t.run();
        }
    }

    private void deliver(Message m) throws JMSException {
        Delivery d;
        try {
            d = new Delivery(m, session, this, JmsMessageCodec.payload(m), JmsMessageCodec.text(m),
                    m.getJMSMessageID(), JmsMessageCodec.attempt(m));
        } catch (JMSException e) {
            LOG.error("source {}: cannot read message {} on queue {}; it stays unacknowledged and returns when the "
                    + "consumer reconnects: {}", sourceName, m.getJMSMessageID(), config.queue(), AbstractBrokerSource.describe(e));
            throw e;
        }
        delivered.add(d);
        owner.handOver(d, InboundMessage.builder()
                .payload(d.payload)
                .headers(JmsMessageCodec.headers(d.message))
                .coordinates(SourceCoordinates.of(sourceName, config.queue(), d.messageId))
                .deliveryAttempt(d.attempt)
                .receivedAt(Instant.now()));
    }

    /** Acknowledges the message. Any thread; runs on this worker's thread. */
    public CompletionStage<Void> ack(Delivery d, InboundMessage message) {
        return onSessionThread(d, message, "acknowledge", () -> {
            d.message.acknowledge();
            LOG.debug("source {}: {} acknowledged", sourceName, message.coordinates());
        });
    }

    /** Sends a persistent copy due again after {@code delay} (attempt + 1), then acknowledges the original. */
    public CompletionStage<Void> retry(Delivery d, InboundMessage message, Duration delay) {
        return onSessionThread(d, message, "retry", () -> {
            Message copy = JmsMessageCodec.copy(d, session, Map.of());
            JmsMessageCodec.prepareRetry(copy, message.deliveryAttempt() + 1, delay.toMillis());
            producer.send(queue, copy, DeliveryMode.PERSISTENT, d.message.getJMSPriority(), 0);
            d.message.acknowledge();
            LOG.info("source {}: {} handed back to the broker, due again in {} (attempt {} next, as {})",
                    sourceName, message.coordinates(), delay, message.deliveryAttempt() + 1, copy.getJMSMessageID());
        });
    }

    /** Sends a persistent copy with the envelope to the dead-letter queue, then acknowledges the original. */
    public CompletionStage<Void> deadLetter(Delivery d, InboundMessage message, DeadLetterEnvelope envelope) {
        return onSessionThread(d, message, "dead-letter", () -> {
            Message copy = JmsMessageCodec.copy(d, session, envelope.toHeaders(config.deadLetterMaxHeaderBytes()));
            producer.send(deadLetterQueue, copy, DeliveryMode.PERSISTENT, d.message.getJMSPriority(), 0);
            d.message.acknowledge();
            LOG.info("source {}: {} dead-lettered to {} as {}: {}", sourceName, message.coordinates(),
                    config.deadLetterQueue(), copy.getJMSMessageID(), envelope.reasonCode());
        });
    }

    private interface SessionCall {
        void run() throws JMSException;
    }

    private CompletionStage<Void> onSessionThread(Delivery d, InboundMessage message, String what, SessionCall call) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            if (acceptingTasks) {
                tasks.add(() -> perform(d, message, what, call, done));
                return done;
            }
        }
        done.completeExceptionally(new IllegalStateException("source " + sourceName + " is closed; " + message.coordinates()
                + " was returned to the broker and will be delivered again"));
        return done;
    }

    private void perform(Delivery d, InboundMessage message, String what, SessionCall call, CompletableFuture<Void> done) {
        if (d.session != session || !delivered.contains(d)) {
            done.completeExceptionally(new IllegalStateException("the session of " + message.coordinates()
                    + " was lost; the broker delivers the message again"));
            return;
        }
        try {
            call.run();
            delivered.remove(d);
            done.complete(null);
        } catch (JMSException | RuntimeException e) {
            LOG.warn("source {}: {} of {} failed; it is delivered again in {}: {}", sourceName, what,
                    message.coordinates(), config.reconnectDelay(), AbstractBrokerSource.describe(e));
            owner.redeliverLater(d, message); // the session still holds it: the broker would not
            done.completeExceptionally(e);
        }
    }

    /** Closes the session: the broker gets back every message this consumer did not acknowledge. */
    private void endSession() {
        Session s = session;
        session = null;
        producer = null;
        held = null;
        for (Delivery d : delivered) {
            owner.returnedToBroker(d);
        }
        delivered.clear();
        if (s != null) {
            try {
                s.close();
            } catch (JMSException | RuntimeException e) {
                LOG.debug("source {}: closing session of consumer {}: {}", sourceName, index, AbstractBrokerSource.describe(e));
            }
        }
    }

    private void rejectRemainingTasks() {
        synchronized (this) {
            acceptingTasks = false;
        }
        Runnable t;
        while ((t = tasks.poll()) != null) {
            t.run(); // each finds its session gone and fails its stage
        }
    }
}
