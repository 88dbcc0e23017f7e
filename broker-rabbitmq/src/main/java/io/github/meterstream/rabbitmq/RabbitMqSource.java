package io.github.meterstream.rabbitmq;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.rabbitmq.internal.ClientConnectionFactory;
import io.github.meterstream.rabbitmq.internal.ConfirmedPublisher;
import io.github.meterstream.rabbitmq.internal.ConsumerChannel;
import io.github.meterstream.rabbitmq.internal.Delivery;
import io.github.meterstream.rabbitmq.internal.DeliverySettler;
import io.github.meterstream.rabbitmq.internal.MessageHeaders;
import io.github.meterstream.rabbitmq.internal.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link io.github.meterstream.core.source.BrokerSource} on {@link AbstractBrokerSource} that consumes one RabbitMQ queue over AMQP 0-9-1 with {@code
 * com.rabbitmq:amqp-client} 5.x. Several nodes may consume the same queue: they compete for its
 * messages.
 *
 * <h2>Delivery guarantee: at least once</h2>
 * Every message is consumed with manual acknowledgement. A message leaves the queue only when it
 * is acknowledged, and a message that is retried or dead-lettered is acknowledged only after the
 * broker confirmed its copy (publisher confirms). A message is therefore delivered again, to this
 * node or another, when
 * <ul>
 *   <li>the connection or channel was lost before its ack reached the broker (the client recovers
 *       the connection by itself; unacknowledged messages are requeued by the broker);</li>
 *   <li>the source closed before it was settled;</li>
 *   <li>its retry or dead-letter copy was confirmed but the ack of the original was lost: the
 *       copy and the original both come back.</li>
 * </ul>
 * Those are the duplicates; the pipeline's {@link io.github.meterstream.core.idempotency.IdempotencyStore}
 * removes them before the handler sees them. Nothing is dropped: a settlement that fails completes
 * its stage exceptionally and the message stays in, or goes back to, the queue.
 *
 * <h2>Settlements</h2>
 * <ul>
 *   <li>Ack: {@code basic.ack}. AMQP 0-9-1 does not confirm acks; the stage completes when the
 *       ack was written on an open channel, and fails if the channel that delivered the message
 *       has closed since (its delivery tag means nothing to a recovered channel).</li>
 *   <li>Retry after a delay: the delay is rounded up to one of {@code retry.delays}; a copy goes
 *       to the retry queue {@code <queue>.retry.<millis>} whose message TTL dead-letters it back
 *       to the work queue. No plugin is needed (RabbitMQ 3.10 and 4.x). The copy carries header
 *       {@value io.github.meterstream.rabbitmq.internal.MessageHeaders#ATTEMPT_HEADER} (attempts
 *       made so far), so {@link InboundMessage#deliveryAttempt()} keeps counting.</li>
 *   <li>Dead-letter: a copy with the original properties and headers plus the envelope's headers
 *       (each capped at {@code dead-letter.max-header-bytes}) is published to the dead-letter
 *       exchange with the queue name as routing key, then the original is acked.</li>
 * </ul>
 *
 * <h2>Delivery attempt</h2>
 * {@code 1 + meterstream_attempt + redeliveries}, where redeliveries is {@code x-delivery-count}
 * on quorum queues and 1 when a classic queue sets the {@code redelivered} flag (it does not say
 * how often).
 *
 * <h2>Threads and flow control</h2>
 * Each consumer ({@code consumers}, one channel each) calls the sink in broker order on the
 * client's dispatch thread; what arrives while paused waits (at most {@code prefetch}) for the
 * consumer's delivery thread to hand it over on resume. {@link #pause()} and {@link #resume()}
 * only flip a flag those threads read: a paused consumer stays registered, the broker stops
 * sending at {@code prefetch} unacknowledged messages, and the connection (with its heartbeats)
 * stays up. Settlements may come from any thread: acks are written one thread at a time per
 * consumer (see {@code internal.Acknowledgements}), requeues and cancels on one thread per channel. A pause
 * longer than the broker's {@code consumer_timeout} (30 minutes by default) makes the broker
 * close the channel; its messages are then delivered again.
 *
 * <h2>Connection loss</h2>
 * The client's automatic recovery reconnects every {@code recovery-interval}, redeclares the
 * topology and re-registers the consumers; {@link #health()} reports {@code DISCONNECTED} until
 * it has. A broker unreachable at {@link #start(MessageSink)} is retried the same way, health
 * {@code CONNECTING} since the start and naming {@code host} and {@code port} (or {@code uri}); so
 * is a work queue that does not exist (with {@code declare-topology=false}), which health lists in
 * {@link SourceHealth#missingDestinations()} until it is created. Refused credentials fail start,
 * naming {@code username} and {@code password} (or {@code uri}). Every few seconds a passive
 * declare of the work queue gives the lag (its ready messages) and notices a queue deleted meanwhile.
 *
 * <h2>Consumer cancelled by the broker</h2>
 * The broker cancels a consumer (basic.cancel) when its queue is deleted or, on a cluster, its
 * node goes down or a quorum queue's leader moves; the connection stays up. The consumer then
 * declares (or, with {@code declare-topology=false}, checks) the topology as at start and
 * subscribes again, every {@code recovery-interval} until it succeeds. Until then {@link #health()}
 * is {@code DISCONNECTED}, naming the queue and the last reason.
 */
public final class RabbitMqSource extends AbstractBrokerSource<Delivery> {

    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqSource.class);
    /** How often the work queue is checked for its lag and existence. */
    private static final Duration QUEUE_CHECK = Duration.ofSeconds(5);

    private final RabbitMqSourceConfig config;
    private final Object lifecycle = new Object();
    /** The connection's own state; health is this unless a consumer is not consuming. */
    private SourceHealth connectionHealth = SourceHealth.of(SourceHealth.State.NOT_STARTED, "", Instant.now()); // guarded by notConsuming
    /** Consumers cancelled by the broker and not subscribed again yet, with the reason. */
    private final Map<String, String> notConsuming = new ConcurrentHashMap<>();
    private Connection connection; // guarded by lifecycle
    private ConfirmedPublisher publisher; // guarded by lifecycle
    private volatile DeliverySettler settler;
    private final List<ConsumerChannel> consumers = new ArrayList<>(); // guarded by lifecycle
    private ScheduledExecutorService reconnector; // guarded by lifecycle
    /** Messages ready in the work queue at the last check, or null when unknown. */
    private volatile Long lag;

    /** A source named {@code name}; it connects only in {@link #start(MessageSink)}. */
    public RabbitMqSource(String name, RabbitMqSourceConfig config) {
        super(name);
        this.config = Objects.requireNonNull(config, "config");
    }

    /** The configuration this source was created with. */
    public RabbitMqSourceConfig config() {
        return config;
    }

    @Override
    protected void startConsuming() {
        setHealth(SourceHealth.State.CONNECTING, "connecting to " + config.connectionKeys());
        ConnectionFactory factory = ClientConnectionFactory.create(config, name());
        try {
            connect(factory);
        } catch (IOException | TimeoutException | Topology.MissingQueueException e) {
            attemptFailed(e);
            scheduleReconnect(factory);
        }
    }

    /**
     * Not connected yet (or again), retried every {@code reconnect-delay}: health keeps the {@code
     * since} of the first failure and names the keys to check; the base class logs it at a
     * bounded rate. A work queue that does not exist (with {@code declare-topology=false}) is a
     * missing destination, not a reason to give up: it is consumed once someone creates it.
     */
    private void attemptFailed(Exception e) {
        String detail;
        if (e instanceof Topology.MissingQueueException) {
            Topology.MissingQueueException missing = (Topology.MissingQueueException) e;
            if (missing.queue().equals(config.queue())) {
                reportMissingDestinations(List.of(config.queue()));
            }
            detail = config.fullKey(RabbitMqSourceConfig.QUEUE) + '=' + config.queue() + ": " + e.getMessage();
        } else if (hasCause(e, javax.net.ssl.SSLException.class)) {
            detail = config.connectionKeys() + ": TLS failed, check " + config.fullKey(RabbitMqSourceConfig.TLS_TRUSTSTORE_PATH)
                    + " and " + config.fullKey(RabbitMqSourceConfig.TLS_KEYSTORE_PATH) + ": " + describe(e);
        } else {
            detail = config.connectionKeys() + ": " + describe(e);
        }
        connectAttemptFailed(detail);
        SourceHealth h = health();
        synchronized (notConsuming) {
            connectionHealth = SourceHealth.of(h.state(), h.detail(), h.since());
        }
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private void scheduleReconnect(ConnectionFactory factory) {
        synchronized (lifecycle) {
            if (isClosing()) {
                return;
            }
            if (reconnector == null) {
                reconnector = Executors.newSingleThreadScheduledExecutor(threadFactory("connect"));
            }
            reconnector.schedule(() -> {
                try {
                    connect(factory);
                } catch (IOException | TimeoutException | RuntimeException e) {
                    attemptFailed(e);
                    scheduleReconnect(factory);
                }
            }, config.recoveryInterval().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void connect(ConnectionFactory factory) throws IOException, TimeoutException {
        Connection c;
        try {
            c = factory.newConnection("meterstream-" + name());
        } catch (AuthenticationFailureException e) {
            throw new IllegalStateException("RabbitMQ at " + config.address() + " refused the credentials of user '"
                    + factory.getUsername() + "': check " + (config.uri() != null ? config.fullKey(RabbitMqSourceConfig.URI)
                    : config.fullKey(RabbitMqSourceConfig.USERNAME) + " and " + config.fullKey(RabbitMqSourceConfig.PASSWORD)), e);
        }
        try {
            if (config.declareTopology()) {
                Topology.declare(c, config);
            } else {
                Topology.check(c, config);
            }
            c.addShutdownListener(sig -> {
                if (!sig.isInitiatedByApplication() && !isClosed()) {
                    setHealth(SourceHealth.State.DISCONNECTED, "connection to " + config.connectionKeys() + " lost: "
                            + sig.getMessage());
                    LOG.warn("Source {} lost its connection to {} ({}); recovering every {}", name(), config.address(),
                            sig.getMessage(), config.recoveryInterval());
                }
            });
            ((Recoverable) c).addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recoverable) {
                    List<ConsumerChannel> chans;
                    synchronized (lifecycle) {
                        chans = new ArrayList<>(consumers);
                    }
                    // before CONNECTED is said: a consumer the client could not register again is not consuming
                    for (ConsumerChannel ch : chans) {
                        ch.afterConnectionRecovery();
                    }
                    if (!isClosed()) {
                        setHealth(SourceHealth.State.CONNECTED, "queue " + config.queue() + " (recovered)");
                        LOG.info("Source {} recovered its connection to {}; consuming queue '{}' again", name(),
                                config.address(), config.queue());
                    }
                }

                @Override
                public void handleRecoveryStarted(Recoverable recoverable) {
                    // health already says DISCONNECTED
                }
            });
            ConfirmedPublisher pub = new ConfirmedPublisher(c, config.confirmTimeout(), "meterstream-" + name() + "-publish");
            DeliverySettler set = new DeliverySettler(config, pub);
            List<ConsumerChannel> chans = new ArrayList<>();
            ConsumerChannel.TopologyCheck topology = () -> {
                if (config.declareTopology()) {
                    Topology.declare(c, config);
                } else {
                    Topology.check(c, config);
                }
            };
            ConsumerChannel.SubscriptionListener subscriptions = new ConsumerChannel.SubscriptionListener() {
                @Override
                public void notConsuming(String consumer, String why) {
                    notConsuming.put(consumer, why);
                    refreshHealth();
                }

                @Override
                public void consuming(String consumer) {
                    if (notConsuming.remove(consumer) != null) {
                        LOG.info("Source {}: consumer {} consumes queue '{}' again", name(), consumer, config.queue());
                        refreshHealth();
                    }
                }
            };
            for (int i = 1; i <= config.consumers(); i++) {
                int index = i;
                chans.add(new ConsumerChannel(c, name() + "-consumer-" + i, config.queue(), gate(), d -> receive(d, index),
                        config.recoveryInterval(), topology, subscriptions));
            }
            synchronized (lifecycle) {
                if (isClosing()) {
                    c.abort();
                    return;
                }
                connection = c;
                publisher = pub;
                settler = set;
                consumers.clear();
                consumers.addAll(chans);
                for (ConsumerChannel ch : chans) {
                    ch.start(config.prefetch());
                }
            }
        } catch (IOException | RuntimeException e) {
            c.abort();
            throw e;
        }
        reportMissingDestinations(List.of());
        setHealth(SourceHealth.State.CONNECTED, "queue " + config.queue());
        watchQueue(c);
        LOG.info("Source {} connected to {}: queue '{}', {} consumer(s), prefetch {}, topology {}", name(), config.address(),
                config.queue(), config.consumers(), config.prefetch(), config.declareTopology() ? "declared" : "checked");
    }

    /**
     * Every few seconds, a passive declare of the work queue on the connection {@code c}: its
     * ready messages are the lag, a 404 makes it a missing destination (deleted while consumed;
     * the consumers subscribe again once it is back). Runs on the reconnect thread.
     */
    private void watchQueue(Connection c) {
        synchronized (lifecycle) {
            if (isClosing()) {
                return;
            }
            if (reconnector == null) {
                reconnector = Executors.newSingleThreadScheduledExecutor(threadFactory("connect"));
            }
            reconnector.scheduleWithFixedDelay(() -> {
                if (!c.isOpen()) {
                    lag = null;
                    return;
                }
                try {
                    lag = Topology.readyMessages(c, config, config.queue());
                    reportMissingDestinations(List.of());
                } catch (Topology.MissingQueueException e) {
                    lag = null;
                    reportMissingDestinations(List.of(config.queue()));
                } catch (IOException | TimeoutException | RuntimeException e) {
                    lag = null; // unknown while the broker does not answer; the connection's health says why
                }
            }, 0, QUEUE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The base health, with the work queue's ready messages while connected and known. */
    @Override
    public SourceHealth health() {
        SourceHealth h = super.health();
        Long l = lag;
        return l != null && h.isConnected() ? h.withLag(l) : h;
    }

    private void receive(Delivery d, int consumerIndex) {
        String position = config.consumers() == 1 ? Long.toString(d.deliveryTag()) : consumerIndex + ":" + d.deliveryTag();
        handOver(d, InboundMessage.builder()
                .payload(d.body())
                .headers(MessageHeaders.toText(d.properties().getHeaders()))
                .coordinates(SourceCoordinates.of(name(), config.queue(), position))
                .deliveryAttempt(MessageHeaders.deliveryAttempt(d.properties(), d.redelivered())));
    }

    @Override
    protected CompletionStage<Void> ack(Delivery d, InboundMessage message) {
        return d.channel().ack(d);
    }

    @Override
    protected CompletionStage<Void> retry(Delivery d, InboundMessage message, Duration delay) {
        return settler.retry(d, message, delay);
    }

    @Override
    protected CompletionStage<Void> deadLetter(Delivery d, InboundMessage message, DeadLetterEnvelope envelope) {
        return settler.deadLetter(d, message, envelope);
    }

    /** A message the sink refused comes back after {@code reconnect-delay}. */
    @Override
    protected Duration redeliveryDelay() {
        return config.recoveryInterval();
    }

    private void setHealth(SourceHealth.State state, String detail) {
        synchronized (notConsuming) {
            connectionHealth = SourceHealth.of(state, detail, Instant.now());
        }
        refreshHealth();
    }

    /** Connected but with a consumer the broker cancelled is not CONNECTED: nothing is consumed. */
    private void refreshHealth() {
        synchronized (notConsuming) {
            SourceHealth c = connectionHealth;
            SourceHealth current = health();
            if (c.state() == SourceHealth.State.CONNECTED && !notConsuming.isEmpty()) {
                String detail = String.join("; ", new TreeMap<>(notConsuming).values());
                Instant since = current.state() == SourceHealth.State.DISCONNECTED ? current.since() : Instant.now();
                reportHealth(SourceHealth.of(SourceHealth.State.DISCONNECTED, detail, since));
            } else {
                reportHealth(c);
            }
        }
    }

    /** Cancels the consumers: the broker stops sending; what they hold stays theirs until settled or closed. */
    @Override
    protected void stopConsuming() {
        List<ConsumerChannel> chans;
        synchronized (lifecycle) {
            chans = new ArrayList<>(consumers);
            if (reconnector != null) {
                reconnector.shutdownNow();
            }
        }
        for (ConsumerChannel ch : chans) {
            ch.cancel(2000);
        }
    }

    /** Closes the connection: the broker requeues every message not acknowledged. */
    @Override
    protected void release(List<Delivery> unsettled) {
        Connection c;
        List<ConsumerChannel> chans;
        ConfirmedPublisher pub;
        synchronized (lifecycle) {
            c = connection;
            chans = new ArrayList<>(consumers);
            pub = publisher;
        }
        if (c != null) {
            try {
                c.close(2000);
            } catch (IOException | RuntimeException e) {
                c.abort(1000);
            }
        }
        for (ConsumerChannel ch : chans) {
            ch.shutdown();
        }
        if (pub != null) {
            pub.shutdown();
        }
    }

    @Override
    public String toString() {
        return "RabbitMqSource{" + name() + ", " + config.address() + ", queue " + config.queue() + '}';
    }
}
