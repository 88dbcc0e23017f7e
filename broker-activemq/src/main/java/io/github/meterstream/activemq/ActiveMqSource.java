package io.github.meterstream.activemq;

import io.github.meterstream.activemq.internal.ConnectionSupervisor;
import io.github.meterstream.activemq.internal.ConsumerWorker;
import io.github.meterstream.activemq.internal.Delivery;
import io.github.meterstream.activemq.internal.DeliveryOwner;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceHealth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;

/**
 * A {@link io.github.meterstream.core.source.BrokerSource} on {@link AbstractBrokerSource} consuming one ActiveMQ Classic queue over OpenWire (client 5.19, {@code
 * javax.jms}): a plain queue, or the consumer queue {@code Consumer.<name>.VirtualTopic.<topic>} of
 * a virtual topic. Several sources on one queue, in one process or on several Kill Bill nodes,
 * compete for its messages.
 *
 * <h2>Consumers and threads</h2>
 * The source opens one connection and {@code consumers} JMS sessions on it, each with its own
 * consumer and its own thread. A JMS session may be used by one thread only; settlements arrive
 * from pipeline worker threads, so they are handed to the thread of the session that received the
 * message, which runs them between two receives (at most 10 ms apart). {@link #pause()} and
 * {@link #resume()} only set the gate those threads read: a paused consumer stops calling {@code
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
 * {@code reconnect-delay} (the same for a message the sink refused); if the session is gone, the
 * broker delivers it again.
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
public final class ActiveMqSource extends AbstractBrokerSource<Delivery> {

    private static final Logger LOG = LoggerFactory.getLogger(ActiveMqSource.class);

    private final ActiveMqSourceConfig config;
    private final ConnectionSupervisor connections;
    private final List<ConsumerWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    public ActiveMqSource(String name, ActiveMqSourceConfig config) {
        super(name);
        this.config = Objects.requireNonNull(config, "config");
        this.connections = new ConnectionSupervisor(name, config, new ConnectionSupervisor.HealthReport() {
            @Override
            public void report(SourceHealth.State state, String detail) {
                reportHealth(state, detail);
            }

            @Override
            public SourceHealth.State current() {
                return health().state();
            }

            @Override
            public void attemptFailed(String detail) {
                connectAttemptFailed(detail);
            }
        });
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
    protected void startConsuming() {
        reportHealth(SourceHealth.State.CONNECTING, "connecting to " + config.fullKey(ActiveMqSourceConfig.BROKER_URL) + '='
                + config.redactedUrl());
        LOG.info("source {}: starting {}", name(), config);
        DeliveryOwner owner = new DeliveryOwner() {
            @Override
            public void handOver(Delivery delivery, InboundMessage.Builder message) {
                ActiveMqSource.this.handOver(delivery, message);
            }

            @Override
            public void returnedToBroker(Delivery delivery) {
                ActiveMqSource.this.returnedToBroker(delivery);
            }

            @Override
            public void redeliverLater(Delivery delivery, InboundMessage message) {
                ActiveMqSource.this.redeliverLater(delivery, message);
            }

            @Override
            public boolean mayDeliver() {
                return gate().isOpen();
            }
        };
        ThreadFactory threadFactory = threadFactory("activemq-consumer");
        for (int i = 0; i < config.consumers(); i++) {
            ConsumerWorker w = new ConsumerWorker(i, name(), config, connections, owner);
            workers.add(w);
            threads.add(threadFactory.newThread(w));
        }
        threads.forEach(Thread::start);
    }

    @Override
    protected CompletionStage<Void> ack(Delivery d, InboundMessage message) {
        return d.worker().ack(d, message);
    }

    @Override
    protected CompletionStage<Void> retry(Delivery d, InboundMessage message, Duration delay) {
        return d.worker().retry(d, message, delay);
    }

    @Override
    protected CompletionStage<Void> deadLetter(Delivery d, InboundMessage message, DeadLetterEnvelope envelope) {
        return d.worker().deadLetter(d, message, envelope);
    }

    /** A message whose settlement failed while its session lives comes back after {@code reconnect-delay}. */
    @Override
    protected Duration redeliveryDelay() {
        return config.reconnectDelay();
    }

    /**
     * Closes the sessions and the connection: the broker returns every message not acknowledged to
     * the queue.
     */
    @Override
    protected void release(List<Delivery> unsettled) {
        connections.markClosed();
        workers.forEach(ConsumerWorker::stop);
        joinWorkers(Duration.ofSeconds(2));
        connections.closeConnection();
        joinWorkers(Duration.ofSeconds(2));
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
        return "ActiveMqSource{" + name() + ", queue " + config.queue() + '}';
    }
}
