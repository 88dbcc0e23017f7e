package io.github.meterstream.kafka;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.source.Settlement;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.kafka.internal.ClientProperties;
import io.github.meterstream.kafka.internal.DeadLetterPublisher;
import io.github.meterstream.kafka.internal.Delivery;
import io.github.meterstream.kafka.internal.PartitionState;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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
 */
public final class KafkaSource implements BrokerSource {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSource.class);
    private static final long LAG_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Duration MAX_ERROR_BACKOFF = Duration.ofSeconds(10);
    /** Kafka's default {@code session.timeout.ms} (classic group protocol). */
    private static final long DEFAULT_SESSION_TIMEOUT_MS = 45_000L;

    private final String name;
    private final KafkaSourceConfig config;
    private final Map<TopicPartition, PartitionState> partitions = new ConcurrentHashMap<>();
    /** Touched by the poll thread only; a concurrent deque so that {@link #heldRecords()} may read its size. */
    private final LinkedBlockingDeque<Delivery> held = new LinkedBlockingDeque<>();
    private final PriorityBlockingQueue<Delivery> retries = new PriorityBlockingQueue<>();
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private final AtomicLong revocations = new AtomicLong();
    /** Records whose dead-letter copy keeps failing, by {@code topic[partition]@offset}: they turn health red. */
    private final Map<String, StuckCopy> stuckCopies = new ConcurrentHashMap<>();
    /** Poll thread only: fetching of partitions with waiting retries is paused because too many wait. */
    private boolean retriesFull;

    private volatile boolean paused;
    private volatile boolean closing;
    private volatile long closeDeadlineNanos;
    private volatile SourceHealth health = SourceHealth.of(SourceHealth.State.NOT_STARTED, "", Instant.now());
    private volatile Long lag;
    private volatile boolean everAssigned;
    private boolean heartbeatLost;
    /** When the consumer last had no connection to any broker (System.nanoTime), or 0 while it has one. */
    private long noConnectionSince;
    private long sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS;

    private MessageSink sink;
    private KafkaConsumer<byte[], byte[]> consumer;
    private DeadLetterPublisher deadLetters;
    private Thread pollThread;

    public KafkaSource(String name, KafkaSourceConfig config) {
        this.name = Objects.requireNonNull(name, "name");
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
        return name;
    }

    /** The configuration, secrets masked by its {@code toString()}. */
    public KafkaSourceConfig config() {
        return config;
    }

    /** Partitions this member has had revoked or lost since it started; a rebalance storm shows here. */
    public long revocations() {
        return revocations.get();
    }

    /**
     * Records this source holds in memory that the pipeline does not count as in flight: fetched
     * while paused and not handed over yet, or waiting for a retry. A number that keeps growing
     * means memory that keeps growing.
     */
    public int heldRecords() {
        return held.size() + retries.size();
    }

    @Override
    public synchronized void start(MessageSink sink) {
        if (pollThread != null) {
            throw new IllegalStateException("source " + name + " was already started");
        }
        if (closing) {
            throw new IllegalStateException("source " + name + " is closed");
        }
        this.sink = Objects.requireNonNull(sink, "sink");
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
        LOG.info("Kafka source {} started: {}", name, config);
    }

    private void startClients() {
        String clientId = "meterstream-" + name;
        Properties consumerProperties = ClientProperties.forConsumer(config.clientProperties());
        consumerProperties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        consumerProperties.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumerProperties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumerProperties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerProperties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // usage must not be skipped: a new group starts at the beginning unless told otherwise
        consumerProperties.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProperties.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        try {
            consumer = new KafkaConsumer<>(consumerProperties);
            String session = consumerProperties.getProperty(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
            sessionTimeoutMs = session == null ? DEFAULT_SESSION_TIMEOUT_MS : Long.parseLong(session.trim());
        } catch (KafkaException e) {
            throw new IllegalStateException("source " + name + ": cannot create the Kafka consumer, check the kafka.* settings: "
                    + rootMessage(e), e);
        }
        deadLetters = new DeadLetterPublisher(ClientProperties.forProducer(config.clientProperties()),
                config.bootstrapServers(), clientId + "-dlq", largestReceivableRecord(consumerProperties),
                config.deadLetterMaxHeaderBytes());
        health = SourceHealth.of(SourceHealth.State.CONNECTING, "joining group " + config.groupId(), Instant.now());
        pollThread = new Thread(this::pollLoop, "meterstream-kafka-" + name);
        pollThread.setDaemon(true);
        pollThread.start();
    }

    /**
     * The largest record this consumer may be handed, as far as its settings say: Kafka returns a
     * batch larger than {@code max.partition.fetch.bytes} when it is the first of the fetch, so the
     * bound is the larger of that and {@code fetch.max.bytes} (50 MiB by default). Every such
     * record must be copyable to the dead-letter topic, oversized ones first of all.
     */
    private static long largestReceivableRecord(Properties consumerProperties) {
        return Math.max(sizeSetting(consumerProperties, ConsumerConfig.FETCH_MAX_BYTES_CONFIG, ConsumerConfig.DEFAULT_FETCH_MAX_BYTES),
                sizeSetting(consumerProperties, ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                        ConsumerConfig.DEFAULT_MAX_PARTITION_FETCH_BYTES));
    }

    private static long sizeSetting(Properties properties, String name, int defaultValue) {
        Object v = properties.get(name);
        return v == null ? defaultValue : Long.parseLong(v.toString().trim());
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
    }

    /**
     * A source whose dead-letter copies keep failing is connected but does not get rid of what it
     * must: it reports {@code DISCONNECTED}, naming the record and the cause, until the copy is
     * confirmed (or the partition goes to another member).
     */
    @Override
    public SourceHealth health() {
        SourceHealth h = health;
        if (h.state() == SourceHealth.State.CONNECTED && !stuckCopies.isEmpty()) {
            StuckCopy oldest = null;
            for (StuckCopy c : stuckCopies.values()) {
                if (oldest == null || c.since.isBefore(oldest.since)) {
                    oldest = c;
                }
            }
            if (oldest != null) {
                int others = stuckCopies.size() - 1;
                return SourceHealth.of(SourceHealth.State.DISCONNECTED, oldest.detail
                        + (others > 0 ? " (and " + others + " more record(s) whose dead-letter copy fails)" : ""), oldest.since);
            }
        }
        Long l = lag;
        return h.state() == SourceHealth.State.CONNECTED && l != null ? h.withLag(l) : h;
    }

    /** A record whose dead-letter copy failed repeatedly, or in a way retrying cannot fix. */
    private static final class StuckCopy {
        final TopicPartition partition;
        final String detail;
        final Instant since;

        StuckCopy(TopicPartition partition, String detail, Instant since) {
            this.partition = partition;
            this.detail = detail;
            this.since = since;
        }
    }

    // ---- the poll thread ----------------------------------------------------------------------

    private void pollLoop() {
        Duration backoff = config.pollTimeout();
        long nextCommit = System.nanoTime() + config.commitInterval().toNanos();
        long nextLag = System.nanoTime();
        try {
            consumer.subscribe(config.topics(), new Rebalance());
            while (!closing) {
                applyPause();
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(config.pollTimeout());
                } catch (KafkaException e) {
                    disconnected(e);
                    closeSignal.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
                    backoff = backoff.multipliedBy(2).compareTo(MAX_ERROR_BACKOFF) > 0 ? MAX_ERROR_BACKOFF : backoff.multipliedBy(2);
                    continue;
                }
                backoff = config.pollTimeout();
                if (everAssigned && health.state() != SourceHealth.State.CONNECTED && (!heartbeatLost || heartbeatFresh())) {
                    heartbeatLost = false;
                    connected("assigned " + consumer.assignment().size() + " partition(s) of " + config.topics());
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    PartitionState p = partitions.get(new TopicPartition(r.topic(), r.partition()));
                    if (p != null) {
                        p.fetched(r.offset());
                        held.add(new Delivery(r, p, 1, 0L));
                    }
                }
                deliverReady();
                long now = System.nanoTime();
                if (now - nextCommit >= 0) {
                    commitAsync();
                    nextCommit = now + config.commitInterval().toNanos();
                }
                if (now - nextLag >= 0) {
                    checkHeartbeat();
                    refreshLag();
                    nextLag = now + LAG_REFRESH_NANOS;
                }
            }
            drainAndCommitOnClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("Kafka source {}: poll thread failed; the source stops consuming", name, e);
            health = SourceHealth.of(SourceHealth.State.DISCONNECTED, "poll thread failed: " + rootMessage(e), Instant.now());
        } finally {
            releaseAll();
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
            } catch (RuntimeException e) {
                LOG.warn("Kafka source {}: closing the consumer failed: {}", name, e.toString());
            }
            deadLetters.close(Duration.ofSeconds(5));
        }
    }

    private void applyPause() {
        if (paused || closing) {
            Set<TopicPartition> assigned = consumer.assignment();
            if (!assigned.isEmpty() && !consumer.paused().containsAll(assigned)) {
                consumer.pause(assigned);
            }
            return;
        }
        Set<TopicPartition> hold = partitionsHeldForRetries();
        Set<TopicPartition> toResume = new HashSet<>(consumer.paused());
        toResume.removeAll(hold);
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
        hold.removeAll(consumer.paused());
        if (!hold.isEmpty()) {
            consumer.pause(hold);
        }
    }

    /**
     * Retries are kept in memory, outside the pipeline's max-in-flight: a failure that lasts would
     * otherwise let them grow with every record fetched. From {@code retry.max-waiting} waiting
     * records until half of them have gone back to the pipeline, the partitions that have some
     * waiting fetch nothing new (records of a partition are ordered, its commit waits for them
     * anyway); the other partitions go on.
     */
    private Set<TopicPartition> partitionsHeldForRetries() {
        int waiting = retries.size();
        int max = config.retryMaxWaiting();
        if (!retriesFull && waiting >= max) {
            retriesFull = true;
            LOG.warn("Kafka source {}: {} records wait for a retry (retry.max-waiting={}); partitions holding them fetch "
                    + "nothing new until half of them have been delivered again", name, waiting, max);
        } else if (retriesFull && waiting <= max / 2) {
            retriesFull = false;
            LOG.info("Kafka source {}: {} records wait for a retry; fetching resumed", name, waiting);
        }
        Set<TopicPartition> hold = new HashSet<>();
        if (retriesFull) {
            Set<TopicPartition> assigned = consumer.assignment();
            for (PartitionState p : partitions.values()) {
                if (p.hasRetriesWaiting() && assigned.contains(p.partition())) {
                    hold.add(p.partition());
                }
            }
        }
        return hold;
    }

    /** Puts {@code next} in the retry queue; any thread. */
    private void waitForRetry(Delivery next) {
        next.partition().retryQueued();
        retries.add(next);
    }

    private void deliverReady() {
        long now = System.nanoTime();
        while (!paused && !closing) {
            Delivery due = retries.peek();
            if (due == null || due.dueNanos() - now > 0) {
                break;
            }
            retries.remove(due);
            due.partition().retryDequeued();
            handOver(due);
        }
        Delivery next;
        while (!paused && !closing && (next = held.poll()) != null) {
            handOver(next);
        }
    }

    private void handOver(Delivery d) {
        if (!d.partition().handOver(d)) {
            return;
        }
        ConsumerRecord<byte[], byte[]> r = d.record();
        InboundMessage message = InboundMessage.builder()
                .payload(r.value() == null ? new byte[0] : r.value())
                .headers(headersOf(r))
                .coordinates(SourceCoordinates.of(name, r.topic(), r.partition(), r.offset()))
                .deliveryAttempt(d.attempt())
                .settler((m, s) -> settle(d, m, s))
                .build();
        try {
            sink.accept(message);
        } catch (RuntimeException e) {
            LOG.error("Kafka source {}: the sink refused {}; delivering it again in {}", name, message.coordinates(),
                    config.settlementFailureRetry(), e);
            if (d.partition().backToWaiting(d)) {
                waitForRetry(d.retry(config.settlementFailureRetry().toNanos()));
            }
        }
    }

    private static Map<String, String> headersOf(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }

    private void commitAsync() {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions.values());
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, error) -> {
            if (error == null) {
                committed.forEach((tp, om) -> {
                    PartitionState p = partitions.get(tp);
                    if (p != null) {
                        p.committed(om.offset());
                    }
                });
                LOG.debug("Kafka source {} committed {}", name, committed);
            } else {
                LOG.warn("Kafka source {}: commit of {} failed, retried at the next interval: {}", name, offsets, error.toString());
            }
        });
    }

    private boolean commitSync(Collection<PartitionState> states, String why, Duration timeout) {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(states);
        if (offsets.isEmpty()) {
            return true;
        }
        try {
            consumer.commitSync(offsets, timeout);
            for (PartitionState p : states) {
                OffsetAndMetadata om = offsets.get(p.partition());
                if (om != null) {
                    p.committed(om.offset());
                }
            }
            LOG.info("Kafka source {} committed on {}: {}", name, why, offsets);
            return true;
        } catch (KafkaException e) {
            LOG.warn("Kafka source {}: commit on {} failed, the records after the last commit are delivered again: {}",
                    name, why, e.toString());
            return false;
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> committable(Collection<PartitionState> states) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (PartitionState p : states) {
            OptionalLong c = p.committable();
            if (c.isPresent()) {
                offsets.put(p.partition(), new OffsetAndMetadata(c.getAsLong()));
            }
        }
        return offsets;
    }

    /**
     * A broker that goes away makes {@code poll} return nothing rather than throw; the heartbeats to
     * the group coordinator stop, though. No heartbeat for longer than the session timeout means
     * this member is cut off from its group.
     */
    private void checkHeartbeat() {
        if (!everAssigned || health.state() != SourceHealth.State.CONNECTED) {
            return;
        }
        if (checkConnections()) {
            return;
        }
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.name().equals("last-heartbeat-seconds-ago") && n.group().equals("consumer-coordinator-metrics")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Number && ((Number) v).doubleValue() * 1000 > sessionTimeoutMs) {
                    health = SourceHealth.of(SourceHealth.State.DISCONNECTED, "no heartbeat to the group coordinator for "
                            + ((Number) v).longValue() + " s (session timeout " + sessionTimeoutMs + " ms): broker unreachable?",
                            Instant.now());
                    heartbeatLost = true;
                    LOG.warn("Kafka source {}: {}", name, health.detail());
                }
                return;
            }
        }
    }

    /**
     * The heartbeat metric alone misses a broker that went away when the session timeout is long
     * (seen with 6 s: the metric kept being reset by heartbeat attempts). No open connection to any
     * broker for longer than min(session timeout, 10 s) is a plainer sign. Returns true when it
     * marked the source disconnected.
     */
    private boolean checkConnections() {
        Double connections = metric("connection-count", "consumer-metrics");
        if (connections == null || connections > 0) {
            noConnectionSince = 0L;
            return false;
        }
        long now = System.nanoTime();
        if (noConnectionSince == 0L) {
            noConnectionSince = now;
            return false;
        }
        long graceMs = Math.min(sessionTimeoutMs, 10_000L);
        long downMs = TimeUnit.NANOSECONDS.toMillis(now - noConnectionSince);
        if (downMs > graceMs) {
            health = SourceHealth.of(SourceHealth.State.DISCONNECTED, "no connection to any Kafka broker for "
                    + downMs / 1000 + " s (heartbeat to the group coordinator lost)", Instant.now());
            heartbeatLost = true;
            LOG.warn("Kafka source {}: {}", name, health.detail());
            return true;
        }
        return false;
    }

    private Double metric(String metricName, String group) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.name().equals(metricName) && n.group().equals(group)) {
                Object v = e.getValue().metricValue();
                return v instanceof Number ? ((Number) v).doubleValue() : null;
            }
        }
        return null;
    }

    private boolean heartbeatFresh() {
        Double connections = metric("connection-count", "consumer-metrics");
        if (connections != null && connections == 0) {
            return false;
        }
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.name().equals("last-heartbeat-seconds-ago") && n.group().equals("consumer-coordinator-metrics")) {
                Object v = e.getValue().metricValue();
                return v instanceof Number && ((Number) v).doubleValue() * 1000 <= sessionTimeoutMs;
            }
        }
        return true;
    }

    private void refreshLag() {
        long sum = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong l = consumer.currentLag(tp);
            if (l.isEmpty()) {
                lag = null; // not known before the first fetch of every partition; better none than a wrong one
                return;
            }
            sum += l.getAsLong();
        }
        lag = sum;
    }

    private void drainAndCommitOnClose() {
        held.clear();
        retries.clear();
        applyPause();
        long deadline = closeDeadlineNanos;
        // keep polling (partitions paused) so that the group session stays alive while handlers finish
        while (System.nanoTime() - deadline < 0 && partitions.values().stream().anyMatch(p -> p.inFlightCount() > 0)) {
            try {
                consumer.poll(Duration.ofMillis(Math.max(1, Math.min(50, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())))));
            } catch (KafkaException e) {
                LOG.warn("Kafka source {}: poll while closing failed: {}", name, e.toString());
                break;
            }
        }
        long leftMs = TimeUnit.NANOSECONDS.toMillis(closeDeadlineNanos - System.nanoTime());
        commitSync(new ArrayList<>(partitions.values()), "close", Duration.ofMillis(Math.max(2000L, Math.min(10_000L, leftMs))));
    }

    private void releaseAll() {
        for (PartitionState p : partitions.values()) {
            p.release();
        }
        partitions.clear();
        held.clear();
        retries.clear();
        stuckCopies.clear();
    }

    private void connected(String detail) {
        health = SourceHealth.of(SourceHealth.State.CONNECTED, detail, Instant.now());
        LOG.info("Kafka source {} connected: {}", name, detail);
    }

    private void disconnected(KafkaException e) {
        String detail = e.getClass().getSimpleName() + ": " + rootMessage(e);
        if (health.state() != SourceHealth.State.DISCONNECTED || !health.detail().equals(detail)) {
            LOG.warn("Kafka source {} cannot consume (retrying): {}", name, detail);
            health = SourceHealth.of(SourceHealth.State.DISCONNECTED, detail, Instant.now());
        }
    }

    private static String rootMessage(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable c = e.getCause();
        Set<Throwable> seen = new HashSet<>();
        while (c != null && seen.add(c)) {
            sb.append("; caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            c = c.getCause();
        }
        return sb.toString();
    }

    /** Runs on the poll thread, inside {@code poll}. */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            for (TopicPartition tp : assigned) {
                partitions.put(tp, new PartitionState(tp));
            }
            if (paused || closing) {
                consumer.pause(assigned);
            }
            everAssigned = true;
            connected("assigned " + consumer.assignment().size() + " partition(s) of " + config.topics());
            if (!assigned.isEmpty()) {
                LOG.info("Kafka source {} assigned {}", name, assigned);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            List<PartitionState> states = letGoOf(revoked);
            if (states.isEmpty()) {
                return;
            }
            long deadline = System.nanoTime() + config.revokeTimeout().toNanos();
            boolean drained = true;
            try {
                for (PartitionState p : states) {
                    drained &= p.awaitNoneInFlight(deadline);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                drained = false;
            }
            commitSync(states, "revoke", Duration.ofSeconds(10));
            for (PartitionState p : states) {
                p.release();
                partitions.remove(p.partition(), p);
            }
            revocations.addAndGet(states.size());
            LOG.info("Kafka source {} revoked {}{}", name, revoked,
                    drained ? "" : " (some messages still in flight after " + config.revokeTimeout() + "; they will be delivered again)");
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            List<PartitionState> states = letGoOf(lost);
            for (PartitionState p : states) {
                p.release();
                partitions.remove(p.partition(), p);
            }
            revocations.addAndGet(states.size());
            LOG.warn("Kafka source {} lost {} without committing; their unsettled records go to the new owner", name, lost);
        }

        /** Stops handing out records of {@code tps}: held ones and retries are dropped (not committed). */
        private List<PartitionState> letGoOf(Collection<TopicPartition> tps) {
            Set<TopicPartition> set = new HashSet<>(tps);
            held.removeIf(d -> set.contains(d.partition().partition()));
            retries.removeIf(d -> set.contains(d.partition().partition()));
            // the new owner deals with those records now, and reports its own trouble
            stuckCopies.values().removeIf(c -> set.contains(c.partition));
            List<PartitionState> states = new ArrayList<>();
            for (TopicPartition tp : tps) {
                PartitionState p = partitions.get(tp);
                if (p != null && p.isOwned()) {
                    states.add(p);
                }
            }
            return states;
        }
    }

    // ---- settlement (any thread) --------------------------------------------------------------

    private CompletionStage<Void> settle(Delivery d, InboundMessage message, Settlement s) {
        PartitionState p = d.partition();
        if (s.kind() != Settlement.Kind.DEAD_LETTER && !stuckCopies.isEmpty()) {
            stuckCopies.remove(d.where()); // settled another way now: its failed copy no longer matters
        }
        switch (s.kind()) {
            case RETRY:
                if (!p.backToWaiting(d)) {
                    return notOwned(message);
                }
                waitForRetry(d.retry(s.delay().toNanos()));
                LOG.debug("Kafka source {}: {} retried in {}", name, message.coordinates(), s.delay());
                return CompletableFuture.completedFuture(null);
            case DEAD_LETTER:
                return deadLetter(d, message, s);
            case ACK:
            default:
                if (!p.settled(d)) {
                    return notOwned(message);
                }
                return CompletableFuture.completedFuture(null);
        }
    }

    private CompletionStage<Void> deadLetter(Delivery d, InboundMessage message, Settlement s) {
        if (!d.partition().isCurrent(d)) {
            return notOwned(message);
        }
        String topic = config.deadLetterTopicFor(d.record().topic());
        CompletableFuture<Void> done = new CompletableFuture<>();
        deadLetters.publish(d.record(), topic, s.envelope().toHeaders(config.deadLetterMaxHeaderBytes()))
                .whenComplete((metadata, error) -> {
                    if (error != null) {
                        copyFailed(d, topic, error);
                        done.completeExceptionally(error);
                    } else if (d.partition().settled(d)) {
                        if (stuckCopies.remove(d.where()) != null) {
                            LOG.info("Kafka source {}: dead-letter copy of {} finally confirmed", name, d.where());
                        }
                        LOG.info("Kafka source {}: dead-lettered {} to {}[{}]@{}: {}", name, message.coordinates(),
                                metadata.topic(), metadata.partition(), metadata.offset(), s.envelope().reasonCode());
                        done.complete(null);
                    } else {
                        done.completeExceptionally(new IllegalStateException("source " + name + " no longer owns "
                                + message.coordinates() + "; its dead-letter copy was written to " + topic
                                + " but the record will also be delivered to the partition's new owner"));
                    }
                });
        return done;
    }

    /** Failed copies in a row after which a retriable error too turns health red. */
    private static final int STUCK_AFTER_FAILURES = 3;

    /**
     * The record goes back to waiting and is delivered again (with the next attempt number), after
     * {@code settlement-failure.retry-after} doubled for each failure in a row, up to
     * {@code settlement-failure.max-retry-after}: a copy the broker refuses for good (a record too
     * large for the topic, no permission) is then retried rarely, not every second forever, and
     * health says which record and why.
     */
    private void copyFailed(Delivery d, String topic, Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        int failures = d.settlementFailures() + 1;
        Duration delay = settlementRetryDelay(failures);
        // retrying cannot fix what is not a RetriableException (Kafka's own split of its errors)
        boolean permanent = cause instanceof KafkaException && !(cause instanceof RetriableException);
        String detail = "dead-letter copy of " + d.where() + " to " + topic + " failed " + failures + " time(s) in a row"
                + (permanent ? " and the broker will not take it as it is" : "") + ": " + cause.getClass().getSimpleName()
                + ": " + cause.getMessage() + "; next try in " + delay;
        if (permanent || failures >= STUCK_AFTER_FAILURES) {
            StuckCopy before = stuckCopies.get(d.where());
            stuckCopies.put(d.where(), new StuckCopy(d.partition().partition(), detail,
                    before == null ? Instant.now() : before.since));
            if (before == null) {
                LOG.error("Kafka source {}: {}; the partition's commit waits for it (health: DISCONNECTED until it is copied)",
                        name, detail);
            } else {
                LOG.warn("Kafka source {}: {}", name, detail);
            }
        } else {
            LOG.warn("Kafka source {}: {}", name, detail);
        }
        if (d.partition().backToWaiting(d)) {
            waitForRetry(d.afterSettlementFailure(delay.toNanos()));
        }
    }

    private Duration settlementRetryDelay(int failuresInARow) {
        Duration max = config.settlementFailureMaxRetry();
        Duration delay = config.settlementFailureRetry();
        for (int i = 1; i < failuresInARow && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) > 0 ? max : delay;
    }

    private CompletionStage<Void> notOwned(InboundMessage message) {
        return CompletableFuture.failedFuture(new IllegalStateException("source " + name + " no longer owns "
                + message.coordinates() + " (partition revoked or source closed); the record will be delivered again"));
    }

    // ---- closing ------------------------------------------------------------------------------

    @Override
    public void close(Duration timeout) {
        Thread t;
        synchronized (this) {
            if (closing) {
                return;
            }
            closeDeadlineNanos = System.nanoTime() + timeout.toNanos();
            closing = true;
            t = pollThread;
        }
        closeSignal.countDown();
        if (t != null) {
            // no consumer.wakeup(): the poll thread notices within poll-timeout, and a stray wakeup
            // would make the closing commitSync fail
            try {
                t.join(timeout.toMillis() + 20_000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("Kafka source {}: poll thread still running after close timeout", name);
            }
        } else {
            releaseAll();
        }
        health = SourceHealth.of(SourceHealth.State.CLOSED, "", Instant.now());
        LOG.info("Kafka source {} closed", name);
    }

    @Override
    public String toString() {
        return "KafkaSource{" + name + ", " + config + '}';
    }
}
