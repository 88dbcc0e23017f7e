package io.github.meterstream.kafka.internal.health;

import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.kafka.KafkaSourceConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import static org.apache.kafka.clients.consumer.ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Owns what Kafka adds to the source's health (the base class holds it): whether the member is
 * connected to its group, the signs that it is cut off although {@code poll} does not throw (no
 * heartbeat to the group coordinator, no connection to any broker), the consumer lag, and the
 * records whose dead-letter copy keeps failing ("stuck"): such a source is connected but does not
 * get rid of what it must, so its health is red until the copy is confirmed, the record is settled
 * another way or its partition goes to another member.
 *
 * <p>What reads the consumer runs on the poll thread; {@link #over} and the stuck-copy methods on any.
 */
public final class Liveness {

    private static final Logger LOG = LoggerFactory.getLogger(Liveness.class);
    /** Kafka's default {@code session.timeout.ms} (classic group protocol). */
    private static final String DEFAULT_SESSION_TIMEOUT_MS = "45000";

    private final String source;
    private final KafkaSourceConfig config;
    private final HealthReport health;
    /** Records fetched and not handed to the pipeline yet: held while paused, or waiting for a retry. */
    private final IntSupplier waitingInSource;
    /** By {@code topic[partition]@offset}. */
    private final Map<String, StuckCopy> stuckCopies = new ConcurrentHashMap<>();
    private volatile Long lag;
    private volatile boolean everAssigned;

    // poll thread only
    private KafkaConsumer<byte[], byte[]> consumer;
    private long sessionTimeoutMs;
    private boolean heartbeatLost;
    /** When the consumer last had no connection to any broker (System.nanoTime), or 0 while it has one. */
    private long noConnectionSince;

    /** Reads and reports the source's health through {@code health} (the base class's holder). */
    public Liveness(String source, KafkaSourceConfig config, HealthReport health, IntSupplier waitingInSource) {
        this.source = source;
        this.config = config;
        this.health = health;
        this.waitingInSource = waitingInSource;
    }

    /** The consumer whose metrics tell liveness, made of {@code properties}; once, before the poll thread starts. */
    public void watch(KafkaConsumer<byte[], byte[]> consumer, Properties properties) {
        this.consumer = consumer;
        this.sessionTimeoutMs = Long.parseLong(properties.getProperty(SESSION_TIMEOUT_MS_CONFIG, DEFAULT_SESSION_TIMEOUT_MS).trim());
    }

    /**
     * {@code h} with what liveness knows besides: {@code DISCONNECTED} since the oldest stuck copy,
     * naming it; else the lag when it is known for every assigned partition.
     */
    public SourceHealth over(SourceHealth h) {
        if (h.state() != SourceHealth.State.CONNECTED) {
            return h;
        }
        StuckCopy oldest = null;
        for (StuckCopy c : stuckCopies.values()) {
            if (oldest == null || c.since.isBefore(oldest.since)) {
                oldest = c;
            }
        }
        if (oldest != null) {
            int others = stuckCopies.size() - 1;
            return SourceHealth.of(SourceHealth.State.DISCONNECTED, oldest.detail
                    + (others > 0 ? " (and " + others + " more record(s) whose dead-letter copy fails)" : ""), oldest.since)
                    .withMissingDestinations(h.missingDestinations());
        }
        Long l = lag;
        return l != null ? h.withLag(l) : h;
    }

    /** Records {@code where} as stuck with {@code detail}; true if it was not stuck before (worth an ERROR). */
    public boolean stuck(String where, TopicPartition partition, String detail) {
        StuckCopy before = stuckCopies.get(where);
        stuckCopies.put(where, new StuckCopy(partition, detail, before == null ? Instant.now() : before.since));
        return before == null;
    }

    /** {@code where} no longer counts (copied, or settled another way); true if it was stuck. */
    public boolean resolved(String where) {
        return !stuckCopies.isEmpty() && stuckCopies.remove(where) != null;
    }

    /** The new owner of {@code partitions} deals with their records now, and reports its own trouble. */
    public void forget(Collection<TopicPartition> partitions) {
        stuckCopies.values().removeIf(c -> partitions.contains(c.partition));
        lag = null; // the partitions changed: unknown until every one assigned now was fetched
    }

    /** The group assigned partitions (possibly none): the member is connected. */
    public void assigned(int partitionCount) {
        everAssigned = true;
        lag = null; // unknown until every partition assigned now was fetched once
        String detail = "assigned " + partitionCount + " partition(s) of " + config.topics();
        health.report(SourceHealth.of(SourceHealth.State.CONNECTED, detail, Instant.now()));
        LOG.info("Kafka source {} connected: {}", source, detail);
    }

    /**
     * {@code poll} threw: {@code CONNECTING} (never connected yet) or {@code DISCONNECTED} since the
     * first failure in a row, with the error naming the key it points at; logged at a bounded rate
     * by the base class.
     */
    public void disconnected(KafkaException e) {
        health.attemptFailed(ErrorKeys.explain(config, e));
    }

    /** The poll thread died: the source no longer consumes. */
    public void failed(String detail) {
        health.report(SourceHealth.of(SourceHealth.State.DISCONNECTED, detail, Instant.now()));
    }

    /** After a {@code poll} that did not throw: back to connected once the heartbeat is fresh again. */
    public void polled() {
        if (everAssigned && health.current().state() != SourceHealth.State.CONNECTED && (!heartbeatLost || heartbeatFresh())) {
            heartbeatLost = false;
            assigned(consumer.assignment().size());
        }
    }

    /**
     * Every second or so: the lag, and the heartbeat. A broker that goes away makes {@code poll}
     * return nothing rather than throw; the heartbeats to the group coordinator stop, though. No
     * heartbeat for longer than the session timeout means this member is cut off from its group.
     */
    public void check() {
        if (everAssigned && health.current().state() == SourceHealth.State.CONNECTED && !connectionsLost()) {
            Double secondsAgo = metric("last-heartbeat-seconds-ago", "consumer-coordinator-metrics");
            if (secondsAgo != null && secondsAgo * 1000 > sessionTimeoutMs) {
                lost("no heartbeat to the group coordinator for " + secondsAgo.longValue() + " s (session timeout "
                        + sessionTimeoutMs + " ms): broker unreachable?");
            }
        }
        refreshLag();
    }

    /**
     * The heartbeat metric alone misses a broker that went away when the session timeout is long
     * (seen with 6 s: the metric kept being reset by heartbeat attempts). No open connection to any
     * broker for longer than min(session timeout, 10 s) is a plainer sign. Returns true when it
     * marked the source disconnected.
     */
    private boolean connectionsLost() {
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
        long downMs = TimeUnit.NANOSECONDS.toMillis(now - noConnectionSince);
        if (downMs > Math.min(sessionTimeoutMs, 10_000L)) {
            lost("no connection to any Kafka broker for " + downMs / 1000 + " s (heartbeat to the group coordinator lost)");
            return true;
        }
        return false;
    }

    private void lost(String detail) {
        health.report(SourceHealth.of(SourceHealth.State.DISCONNECTED, detail, Instant.now()));
        heartbeatLost = true;
        LOG.warn("Kafka source {}: {}", source, detail);
    }

    private boolean heartbeatFresh() {
        Double connections = metric("connection-count", "consumer-metrics");
        Double secondsAgo = metric("last-heartbeat-seconds-ago", "consumer-coordinator-metrics");
        return (connections == null || connections != 0) && (secondsAgo == null || secondsAgo * 1000 <= sessionTimeoutMs);
    }

    /** A consumer metric's value; null when the consumer does not report it. */
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

    /**
     * End offset minus position for every assigned partition, plus what the source fetched and has
     * not handed to the pipeline yet; unknown (null) until the member was assigned and every
     * partition fetched once. Never 0 as a guess: before the first assignment there is no partition
     * to sum, and that is not "nothing waits".
     */
    private void refreshLag() {
        if (!everAssigned) {
            lag = null;
            return;
        }
        long sum = waitingInSource.getAsInt();
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
}
