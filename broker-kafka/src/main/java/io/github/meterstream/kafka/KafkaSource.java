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
import io.github.meterstream.kafka.internal.RebalanceHandler;
import io.github.meterstream.kafka.internal.commit.OffsetCommitter;
import io.github.meterstream.kafka.internal.fault.DeadLetterPublisher;
import io.github.meterstream.kafka.internal.fault.Settler;
import io.github.meterstream.kafka.internal.health.Liveness;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletionStage;

/**
 * A {@link BrokerSource} on one or more Kafka topics, as a member of a consumer group: several
 * nodes with the same {@code group-id} share the topics' partitions, and a partition is consumed
 * by one member at a time.
 *
 * <h2>Threading</h2>
 * One poll thread per source owns the {@link KafkaConsumer}: it polls, hands records to the sink,
 * commits and runs the {@link ConsumerRebalanceListener} callbacks. Handlers never run on it (the
 * pipeline's sink only decodes and enqueues). Settlements may come from any thread; they only
 * record the outcome (ack, retry) or start a dead-letter send, and never touch the consumer.
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
 * These duplicates reach the pipeline, whose {@link io.github.meterstream.core.idempotency.IdempotencyStore}
 * acknowledges them without calling the handler. A settlement for a partition this member no
 * longer owns completes exceptionally: the new owner delivers the record again.
 *
 * <h2>Retry and dead-letter</h2>
 * Kafka has no broker-side delay, so {@link Settlement#retryAfter(Duration) retry} is kept in the
 * source: the record is held (its offset blocks the commit) and delivered again after the delay
 * with the attempt count one higher. Retries do not survive a restart as retries: the record is
 * then delivered again from the committed offset with attempt 1. Dead-letter copies go to
 * {@code <topic>.dlq} (configurable) through an idempotent producer with {@code acks=all}; the
 * original counts as settled only once the send was confirmed, and a record being dead-lettered
 * never holds back delivery of the records behind it.
 *
 * <h2>Flow control</h2>
 * {@link #pause()} pauses every assigned partition ({@link KafkaConsumer#pause}) and the poll
 * thread keeps polling, so a slow or failing downstream never exceeds {@code max.poll.interval.ms}
 * and never causes a rebalance. Records fetched but not yet handed over are held and delivered, in
 * order, after {@link #resume()}.
 *
 * <h2>Attempt count</h2>
 * {@link InboundMessage#deliveryAttempt()} is 1 on first delivery and counts retries within this
 * member. A record delivered again after a rebalance or restart starts at 1 again: Kafka does not
 * record deliveries.
 *
 * <h2>Parts</h2>
 * {@link AbstractBrokerSource} owns the life cycle, the records in flight and the wait for them on
 * close, the health holder, the settle dispatch and what happens when the sink throws (the record
 * is handed over again after {@code settlement-failure.retry-after}). This class implements the
 * Kafka calls by wiring the parts in {@code kafka.internal}: the poll loop ({@code PollLoop}), what
 * is fetched and not settled ({@code FetchedRecords}), the offset committer ({@code commit}), the
 * rebalance callbacks ({@code RebalanceHandler}), the settlements and dead-letter copies
 * ({@code fault}) and liveness ({@code health}).
 */
public final class KafkaSource extends AbstractBrokerSource<Delivery> {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSource.class);
    /** The poll thread commits and closes both clients after close's wait: 5 s commit, 2 s consumer, 5 s producer. */
    private static final long POLL_THREAD_EXIT_MILLIS = 20_000L;

    private final KafkaSourceConfig config;
    private final FetchedRecords records = new FetchedRecords();
    private final Liveness liveness;
    // set once by startConsuming, before any record is handed over
    private volatile Settler settler;
    private volatile RebalanceHandler rebalance;
    private volatile PollLoop pollLoop;
    private volatile Thread pollThread;

    public KafkaSource(String name, KafkaSourceConfig config) {
        super(name);
        this.config = Objects.requireNonNull(config, "config");
        this.liveness = new Liveness(name, super::health, this::reportHealth);
    }

    /** The configuration, secrets masked by its {@code toString()}. */
    public KafkaSourceConfig config() {
        return config;
    }

    /** Partitions this member has had revoked or lost since it started; a rebalance storm shows here. */
    public long revocations() {
        RebalanceHandler r = rebalance;
        return r == null ? 0L : r.revocations();
    }

    /**
     * Records this source holds in memory that the pipeline does not count as in flight: fetched
     * while paused and not handed over yet, or waiting for a retry. A number that keeps growing
     * means memory that keeps growing.
     */
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
            liveness.watch(consumer, ClientProperties.sessionTimeoutMs(consumerProperties));
        } catch (KafkaException e) {
            throw new IllegalStateException("source " + name() + ": cannot create the Kafka consumer, check the kafka.* settings: "
                    + describe(e), e);
        }
        DeadLetterPublisher deadLetters = new DeadLetterPublisher(ClientProperties.forProducer(config.clientProperties()),
                config.bootstrapServers(), clientId + "-dlq", ClientProperties.largestReceivableRecord(consumerProperties),
                config.deadLetterMaxHeaderBytes());
        reportHealth(SourceHealth.State.CONNECTING, "joining group " + config.groupId());
        OffsetCommitter committer = new OffsetCommitter(name(), consumer, records);
        settler = new Settler(name(), config, records, deadLetters, liveness.stuckCopies());
        rebalance = new RebalanceHandler(name(), config, consumer, records, committer, liveness,
                () -> !gate().isOpen(), this::returnedToBroker);
        pollLoop = new PollLoop(name(), config, consumer, gate(), records, committer, rebalance, liveness, deadLetters,
                this::handOver);
        pollThread = threadFactory("poll").newThread(pollLoop);
        pollThread.start();
    }

    @Override
    protected CompletionStage<Void> ack(Delivery delivery, InboundMessage message) {
        return settler.ack(delivery, message);
    }

    @Override
    protected CompletionStage<Void> retry(Delivery delivery, InboundMessage message, Duration delay) {
        return settler.retry(delivery, message, delay);
    }

    @Override
    protected CompletionStage<Void> deadLetter(Delivery delivery, InboundMessage message, DeadLetterEnvelope envelope) {
        return settler.deadLetter(delivery, message, envelope);
    }

    /** A record the sink refused is handed over again after {@code settlement-failure.retry-after}. */
    @Override
    protected Duration redeliveryDelay() {
        return config.settlementFailureRetry();
    }

    /**
     * A source whose dead-letter copies keep failing is connected but does not get rid of what it
     * must: it reports {@code DISCONNECTED}, naming the record and the cause, until the copy is
     * confirmed (or the partition goes to another member).
     */
    @Override
    public SourceHealth health() {
        return liveness.over(super.health());
    }

    @Override
    protected void stopConsuming() {
        PollLoop loop = pollLoop;
        if (loop != null) {
            loop.stop();
        }
    }

    /**
     * The unsettled records need nothing: their offsets are not committed, so the partitions' next
     * owner gets them. The poll thread commits what is settled and closes the clients.
     */
    @Override
    protected void release(List<Delivery> unsettled) {
        PollLoop loop = pollLoop;
        Thread t = pollThread;
        if (loop == null || t == null) {
            records.releaseAll();
            liveness.stuckCopies().clear();
            return;
        }
        // no consumer.wakeup(): the poll thread notices within poll-timeout, and a stray wakeup
        // would make the closing commitSync fail
        loop.finish();
        try {
            t.join(POLL_THREAD_EXIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.warn("Kafka source {}: poll thread still running after close", name());
        }
    }

    @Override
    public String toString() {
        return "KafkaSource{" + name() + ", " + config + '}';
    }
}
