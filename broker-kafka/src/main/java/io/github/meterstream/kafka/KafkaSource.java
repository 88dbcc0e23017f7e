package io.github.meterstream.kafka;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.Settlement;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.kafka.internal.ClientProperties;
import io.github.meterstream.kafka.internal.Delivery;
import io.github.meterstream.kafka.internal.FetchedRecords;
import io.github.meterstream.kafka.internal.PollLoop;
import io.github.meterstream.kafka.internal.commit.OffsetCommitter;
import io.github.meterstream.kafka.internal.fault.DeadLetterPublisher;
import io.github.meterstream.kafka.internal.health.ErrorKeys;
import io.github.meterstream.kafka.internal.health.HealthReport;
import io.github.meterstream.kafka.internal.health.Liveness;
import io.github.meterstream.kafka.internal.health.TopicWatch;
import io.github.meterstream.core.config.ConfigException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A {@link BrokerSource} on one or more Kafka topics, as a member of a consumer group: several
 * nodes with the same {@code group-id} share the topics' partitions, and a partition is consumed
 * by one member at a time. The life cycle, the wait for records in flight, health and the sink
 * throwing are {@link AbstractBrokerSource}'s; this class starts the clients, settles records and
 * wires the parts in {@code kafka.internal} (its package-info follows a record through them). One
 * poll thread owns the {@link KafkaConsumer}; settlements, on any thread, never touch it.
 *
 * <h2>Manual offset control: what is committed</h2>
 * Auto-commit is off. For each partition the source commits the lowest offset that is not settled
 * yet (or one past the last record fetched when all are settled), so a commit never passes a
 * record that is in flight, waiting for a retry, being dead-lettered or fetched but held while the
 * source is paused. Commits happen every {@code commit-interval} (asynchronously), when a
 * partition is revoked and on close (synchronously). Records of one partition are handed over in
 * offset order. An {@code ack} stage completes once the settlement is recorded on an owned
 * partition, not when the offset is committed: waiting for the commit would hold every ack behind
 * the lowest unsettled offset of its partition.
 *
 * <h2>Delivery guarantee: at least once</h2>
 * A record is delivered again, to this or another member, when its offset was not committed:
 * <ul>
 *   <li>settled records above an unsettled one (the commit stops at the lowest unsettled offset);</li>
 *   <li>records settled less than {@code commit-interval} before a crash;</li>
 *   <li>records still in flight when a partition was revoked and {@code revoke-timeout} ran out,
 *       or lost (the member was expelled from the group: nothing is committed for lost partitions);</li>
 *   <li>a dead-lettered record whose partition was revoked before its copy was confirmed (the copy
 *       may then be written twice).</li>
 * </ul>
 * A settlement for a partition this member no longer owns completes exceptionally: the new owner
 * delivers the record again. {@link InboundMessage#deliveryAttempt()} counts retries within this
 * member only; after a rebalance or restart it starts at 1 again.
 *
 * <h2>Retry and dead-letter</h2>
 * Kafka has no broker-side delay, so {@link Settlement#retryAfter(Duration) retry} is kept in the
 * source: the record is held (its offset blocks the commit) and delivered again after the delay.
 * Retries do not survive a restart as retries: the record is then delivered again from the
 * committed offset. Dead-letter copies go to {@code <topic>.dlq} (configurable) through an
 * idempotent producer with {@code acks=all}; the original counts as settled only once the send was
 * confirmed, and a record being dead-lettered never holds back delivery of the records behind it.
 * A copy that fails sends the record back to waiting, after a delay that doubles with each failure
 * in a row; one that keeps failing, or that the broker will never take, turns health red.
 * {@link #pause()} pauses every assigned partition and keeps polling, so a slow downstream never
 * causes a rebalance; records fetched meanwhile are delivered, in order, after {@link #resume()}.
 */
public final class KafkaSource extends AbstractBrokerSource<Delivery> {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSource.class);
    /** Failed dead-letter copies in a row after which a retriable error too turns health red. */
    private static final int STUCK_AFTER_FAILURES = 3;
    /** What an ack returns: nothing waits on the broker, and the base only reads the stage. */
    private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

    private final KafkaSourceConfig config;
    private final FetchedRecords records = new FetchedRecords();
    private final Liveness liveness;
    private final TopicWatch topicWatch;
    // set once by startConsuming, before any record is handed over
    private volatile DeadLetterPublisher deadLetters;
    private volatile PollLoop pollLoop;

    public KafkaSource(String name, KafkaSourceConfig config) {
        super(name);
        this.config = Objects.requireNonNull(config, "config");
        HealthReport health = new HealthReport() {
            @Override
            public SourceHealth current() {
                return KafkaSource.super.health();
            }

            @Override
            public void report(SourceHealth h) {
                reportHealth(h);
            }

            @Override
            public void attemptFailed(String detail) {
                connectAttemptFailed(detail);
            }

            @Override
            public void stillConnecting(String detail) {
                reportStillConnecting(detail);
            }

            @Override
            public void missingTopics(Collection<String> topics) {
                reportMissingDestinations(topics);
            }
        };
        this.liveness = new Liveness(name, config, health, () -> records.heldCount() + records.retriesWaiting());
        this.topicWatch = new TopicWatch(config, health);
    }

    /** The configuration, secrets masked by its {@code toString()}. */
    public KafkaSourceConfig config() {
        return config;
    }

    /** Partitions this member has had revoked or lost since it started; a rebalance storm shows here. */
    public long revocations() {
        return records.revocations();
    }

    /** Records held in memory, not in flight: fetched while paused, or waiting for a retry. Should not keep growing. */
    public int heldRecords() {
        return records.heldCount() + records.retriesWaiting();
    }

    @Override
    protected void startConsuming() {
        // Kafka loads classes by name (config defaults, deserializers, assignors) through the thread context
        // class loader when there is one. In a container (Kill Bill's OSGi plugins) that is the container's
        // loader, which cannot see kafka-clients: ConsumerConfig's static init then fails. Use ours while the
        // clients are built; the poll thread and the clients' own threads inherit it.
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(KafkaSource.class.getClassLoader());
        try {
            startClients();
        } finally {
            current.setContextClassLoader(previous);
        }
        LOG.info("Kafka source {} started: {}", name(), config);
    }

    private void startClients() {
        String clientId = "meterstream-" + name();
        Properties consumerProperties = ClientProperties.consumerOf(config, clientId);
        KafkaConsumer<byte[], byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(consumerProperties);
        } catch (KafkaException e) {
            throw cannotCreate("consumer", e);
        }
        liveness.watch(consumer, consumerProperties);
        deadLetters = new DeadLetterPublisher(ClientProperties.producerOf(config, clientId + "-dlq", consumerProperties),
                threadFactory("dead-letter"));
        reportStillConnecting("reaching the cluster at " + ErrorKeys.named(config, KafkaSourceConfig.BOOTSTRAP_SERVERS.name()));
        OffsetCommitter committer = new OffsetCommitter(name(), config, consumer, records, liveness, gate(), this::returnedToBroker,
                this::isHeld);
        PollLoop loop = new PollLoop(name(), config, consumer, gate(), records, committer, liveness, topicWatch, deadLetters,
                this::handOver);
        loop.start(threadFactory("poll"));
        pollLoop = loop;
    }

    /**
     * A client that cannot even be built: a {@link ConfigException} naming the key when the error
     * points at one (an unresolvable host names {@code bootstrap-servers}, a TLS store that does not
     * load its {@code kafka.ssl.*.location} or {@code .password}), else an {@code IllegalStateException}.
     */
    private RuntimeException cannotCreate(String client, KafkaException e) {
        String relative = ErrorKeys.relativeKeyOf(config, e);
        if (relative == null) {
            return new IllegalStateException("the Kafka " + client + " of source " + name() + " cannot be created, check the "
                    + config.fullKey(KafkaSourceConfig.CLIENT_SECTION) + ".* settings: " + describe(e), e);
        }
        ConfigException named = new ConfigException(config.fullKey(relative), "the Kafka " + client + " of source " + name()
                + " cannot be created with it: " + describe(e));
        named.initCause(e);
        return named;
    }

    /** A record the sink refused is handed over again after {@code settlement-failure.retry-after}. */
    @Override
    protected Duration redeliveryDelay() {
        return config.settlementFailureRetry();
    }

    /** With the lag, or {@code DISCONNECTED} while a dead-letter copy keeps failing (see {@link Liveness}). */
    @Override
    public SourceHealth health() {
        return liveness.over(super.health());
    }

    // ---- settlements: any thread, never the consumer -----------------------------------------

    /** The record is done: its offset may be committed. */
    @Override
    protected CompletionStage<Void> ack(Delivery d, InboundMessage message) {
        liveness.resolved(d.where()); // settled another way now: its failed copy no longer matters
        return d.partition().settled(d) ? DONE : notOwned(message);
    }

    /** The record waits in the retry queue (its offset blocks the commit); the poll thread delivers it again. */
    @Override
    protected CompletionStage<Void> retry(Delivery d, InboundMessage message, Duration delay) {
        liveness.resolved(d.where());
        if (!d.partition().backToWaiting(d)) {
            return notOwned(message);
        }
        records.waitForRetry(d.next(delay.toNanos(), false));
        LOG.debug("Kafka source {}: {} retried in {}", name(), message.coordinates(), delay);
        return CompletableFuture.completedFuture(null);
    }

    /** Starts the copy; the stage completes once the broker confirmed it and the original counts as settled. */
    @Override
    protected CompletionStage<Void> deadLetter(Delivery d, InboundMessage message, DeadLetterEnvelope envelope) {
        if (!d.partition().isCurrent(d)) {
            return notOwned(message);
        }
        String topic = config.deadLetterTopicFor(d.record().topic());
        CompletableFuture<Void> done = new CompletableFuture<>();
        deadLetters.publish(d.record(), topic, envelope.toHeaders(config.deadLetterMaxHeaderBytes()))
                .whenComplete((metadata, error) -> {
                    if (error != null) {
                        copyFailed(d, topic, error);
                        done.completeExceptionally(error);
                    } else if (d.partition().settled(d)) {
                        if (liveness.resolved(d.where())) {
                            LOG.info("Kafka source {}: dead-letter copy of {} finally confirmed", name(), d.where());
                        }
                        LOG.info("Kafka source {}: dead-lettered {} to {}[{}]@{}: {}", name(), message.coordinates(),
                                metadata.topic(), metadata.partition(), metadata.offset(), envelope.reasonCode());
                        done.complete(null);
                    } else {
                        done.completeExceptionally(new IllegalStateException("source " + name() + " no longer owns "
                                + message.coordinates() + "; its dead-letter copy was written to " + topic
                                + " but the record will also be delivered to the partition's new owner"));
                    }
                });
        return done;
    }

    /**
     * The record goes back to waiting and is delivered again after {@code settlement-failure.retry-after}
     * doubled for each failure in a row, up to {@code settlement-failure.max-retry-after}: a copy the
     * broker refuses for good (a record too large for the topic, no permission) is then retried
     * rarely, not every second forever, and health says which record and why.
     */
    private void copyFailed(Delivery d, String topic, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        int failures = d.settlementFailures() + 1;
        Duration delay = config.settlementFailureRetry();
        for (int i = 1; i < failures && delay.compareTo(config.settlementFailureMaxRetry()) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        delay = delay.compareTo(config.settlementFailureMaxRetry()) > 0 ? config.settlementFailureMaxRetry() : delay;
        // retrying cannot fix what is not a RetriableException (Kafka's own split of its errors)
        boolean permanent = cause instanceof KafkaException && !(cause instanceof RetriableException);
        String detail = "dead-letter copy of " + d.where() + " to " + topic + " failed " + failures + " time(s) in a row"
                + (permanent ? " and the broker will not take it as it is" : "") + ": " + cause.getClass().getSimpleName()
                + ": " + cause.getMessage() + "; next try in " + delay;
        if ((permanent || failures >= STUCK_AFTER_FAILURES) && liveness.stuck(d.where(), d.partition().partition(), detail)) {
            LOG.error("Kafka source {}: {}; the partition's commit waits for it (health: DISCONNECTED until it is copied)",
                    name(), detail);
        } else {
            LOG.warn("Kafka source {}: {}", name(), detail);
        }
        if (d.partition().backToWaiting(d)) {
            records.waitForRetry(d.next(delay.toNanos(), true));
        }
    }

    private CompletionStage<Void> notOwned(InboundMessage message) {
        return CompletableFuture.failedFuture(new IllegalStateException("source " + name() + " no longer owns "
                + message.coordinates() + " (partition revoked or source closed); the record will be delivered again"));
    }

    // ---- closing ------------------------------------------------------------------------------

    @Override
    protected void stopConsuming() {
        PollLoop loop = pollLoop;
        if (loop != null) {
            loop.stop();
        }
    }

    /**
     * The unsettled records need nothing: their offsets are not committed, so the partitions' next
     * owner gets them. The poll thread commits what is settled, with what the close's timeout left
     * but at least 2 s and at most 10 s, and closes the clients.
     */
    @Override
    protected void release(List<Delivery> unsettled) {
        PollLoop loop = pollLoop;
        if (loop != null) {
            loop.finish(Duration.ofMillis(Math.max(2_000L, Math.min(10_000L, remainingCloseTime().toMillis()))));
        }
    }

    @Override
    public String toString() {
        return "KafkaSource{" + name() + ", " + config + '}';
    }
}
