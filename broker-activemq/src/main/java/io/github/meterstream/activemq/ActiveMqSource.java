package io.github.meterstream.activemq;

import io.github.meterstream.activemq.internal.ConnectionSupervisor;
import io.github.meterstream.activemq.internal.ConsumerWorker;
import io.github.meterstream.activemq.internal.InFlightMessages;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.source.SourceHealth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link BrokerSource} consuming one ActiveMQ Classic queue over OpenWire (client 5.19, {@code
 * javax.jms}): a plain queue, or the consumer queue {@code Consumer.<name>.VirtualTopic.<topic>} of
 * a virtual topic. Several sources on one queue, in one process or on several Kill Bill nodes,
 * compete for its messages.
 *
 * <h2>Consumers and threads</h2>
 * The source opens one connection and {@code consumers} JMS sessions on it, each with its own
 * consumer and its own thread. A JMS session may be used by one thread only; settlements arrive
 * from pipeline worker threads, so they are handed to the thread of the session that received the
 * message, which runs them between two receives (at most 10 ms apart). {@link #pause()} and
 * {@link #resume()} only set a flag those threads read: a paused consumer stops calling {@code
 * receive} but keeps its session, its connection and its settlements going, so a long pause never
 * drops the connection. Messages the broker already prefetched to a paused consumer wait in the
 * client (up to {@code prefetch} per consumer).
 *
 * <h2>Settlement</h2>
 * Sessions use ActiveMQ's {@code INDIVIDUAL_ACKNOWLEDGE}: acknowledging a message acknowledges that
 * message only, never others still in flight (JMS {@code CLIENT_ACKNOWLEDGE} would acknowledge
 * everything the session received so far). Acknowledgements and sends are synchronous, so a
 * settlement's stage completes only after the broker confirmed it.
 * <ul>
 *   <li><b>ack</b> acknowledges the message.</li>
 *   <li><b>retry after a delay</b> sends a persistent copy (same body and properties, attempt + 1
 *       in the {@code meterstream_attempt} property) to the same queue with {@code
 *       AMQ_SCHEDULED_DELAY} = the delay, then acknowledges the original. Each message gets its own
 *       delay (a client {@code RedeliveryPolicy} delays a whole consumer), the copy is in the
 *       broker's store and survives a restart of this process, and other messages flow meanwhile.
 *       The broker must run with {@code schedulerSupport="true"}; without it the copy is delivered
 *       at once.</li>
 *   <li><b>dead-letter</b> sends a persistent copy with the envelope as string properties to the
 *       dead-letter queue (default {@code <queue>.DLQ}), waits for the broker to store it, then
 *       acknowledges the original. The source dead-letters by itself, so non-persistent messages
 *       are dead-lettered like persistent ones (the broker's own DLQ would drop them unless
 *       {@code processNonPersistent} is set).</li>
 * </ul>
 * If a settlement fails while the session lives, the message is handed to the sink again after
 * {@code reconnect-delay}; if the session is gone, the broker delivers it again.
 *
 * <h2>Delivery guarantee: at least once</h2>
 * A message leaves the queue only when it is acknowledged; a retry or dead-letter copy is stored
 * before the original is acknowledged. Duplicates therefore come from:
 * <ul>
 *   <li>a connection loss or a crash after the handler finished but before the acknowledgement
 *       reached the broker: the broker delivers the message again (to this or another consumer);</li>
 *   <li>a failover reconnect: messages delivered before the interruption and not yet acknowledged
 *       are dispatched again;</li>
 *   <li>a crash between storing a retry or dead-letter copy and acknowledging the original: both
 *       exist (a retry then runs twice; the dead-letter queue then also holds a copy of a message
 *       that comes back);</li>
 *   <li>{@link #close(Duration)} with messages still unsettled after its timeout: they are returned
 *       to the queue.</li>
 * </ul>
 * The pipeline's {@link io.github.meterstream.core.idempotency.IdempotencyStore} removes those
 * duplicates before the handler sees them. {@link io.github.meterstream.core.source.InboundMessage#deliveryAttempt()}
 * is the attempt carried by a retry copy plus the broker's redeliveries ({@code JMSXDeliveryCount - 1}).
 */
public final class ActiveMqSource implements BrokerSource {

    private static final Logger LOG = LoggerFactory.getLogger(ActiveMqSource.class);

    private final String name;
    private final ActiveMqSourceConfig config;
    private final ConnectionSupervisor connections;
    private final InFlightMessages inFlight = new InFlightMessages();
    private final List<ConsumerWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean paused;
    private volatile boolean closing;
    private boolean started; // guarded by this
    private boolean closed; // guarded by this

    public ActiveMqSource(String name, ActiveMqSourceConfig config) {
        this.name = Objects.requireNonNull(name, "name");
        this.config = Objects.requireNonNull(config, "config");
        this.connections = new ConnectionSupervisor(name, config);
    }

    @Override
    public String name() {
        return name;
    }

    /** The configuration this source was built with. */
    public ActiveMqSourceConfig config() {
        return config;
    }

    /**
     * Starts the consumer threads and returns; they connect in the background (a failover URL waits
     * for a broker), report progress through {@link #health()} and retry a failed connection every
     * {@code reconnect-delay}, rejected credentials included (reported as such in the health detail).
     */
    @Override
    public synchronized void start(MessageSink sink) {
        Objects.requireNonNull(sink, "sink");
        if (started) {
            throw new IllegalStateException("source " + name + " was already started");
        }
        if (closed) {
            throw new IllegalStateException("source " + name + " is closed");
        }
        started = true;
        connections.connecting();
        LOG.info("source {}: starting {}", name, config);
        for (int i = 0; i < config.consumers(); i++) {
            ConsumerWorker w = new ConsumerWorker(i, name, config, connections, inFlight, sink,
                    () -> paused, () -> closing);
            Thread t = new Thread(w, "meterstream-activemq-" + name + "-consumer-" + i);
            t.setDaemon(true);
            workers.add(w);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
    }

    @Override
    public SourceHealth health() {
        return connections.health();
    }

    /**
     * Stops receiving, waits up to {@code timeout} for delivered messages to be settled (settlements
     * keep working meanwhile), then closes the sessions and the connection: the broker returns every
     * message not acknowledged to the queue. Later settlements fail.
     */
    @Override
    public void close(Duration timeout) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closing = true;
        boolean settled = inFlight.awaitEmpty(timeout);
        int left = inFlight.size();
        connections.markClosed();
        workers.forEach(ConsumerWorker::stop);
        joinWorkers(Duration.ofSeconds(2));
        connections.closeConnection();
        joinWorkers(Duration.ofSeconds(2));
        if (settled) {
            LOG.info("source {}: closed; every delivered message was settled", name);
        } else {
            LOG.info("source {}: closed after {}; {} unsettled message(s) returned to queue {}", name, timeout, left, config.queue());
        }
    }

    private void joinWorkers(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        for (Thread t : threads) {
            long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
            if (leftMs > 0) {
                try {
                    t.join(leftMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ActiveMqSource{" + name + ", queue " + config.queue() + '}';
    }
}
