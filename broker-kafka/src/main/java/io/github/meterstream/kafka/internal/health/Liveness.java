package io.github.meterstream.kafka.internal.health;

import io.github.meterstream.core.source.AbstractBrokerSource;
import io.github.meterstream.core.source.SourceHealth;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Owns what Kafka adds to the source's health (the base class holds it): whether the member is
 * connected to its group, which the poll thread and the rebalance callbacks report, the signs that
 * it is cut off although {@code poll} does not throw (no heartbeat to the group coordinator, no
 * connection to any broker), the consumer lag, and the {@link StuckCopies dead-letter copies that
 * keep failing}.
 *
 * <p>{@link #over(SourceHealth)} may be called from any thread; everything that reads the consumer
 * runs on the poll thread, which {@link #watch}es the consumer before it starts.
 */
public final class Liveness {

    private static final Logger LOG = LoggerFactory.getLogger(Liveness.class);
    /** Kafka's default {@code session.timeout.ms} (classic group protocol). */
    public static final long DEFAULT_SESSION_TIMEOUT_MS = 45_000L;

    private final String source;
    private final Supplier<SourceHealth> reported;
    private final Consumer<SourceHealth> report;
    private final StuckCopies stuckCopies = new StuckCopies();
    private volatile Long lag;
    private volatile boolean everAssigned;

    // poll thread only
    private KafkaConsumer<byte[], byte[]> consumer;
    private long sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS;
    private boolean heartbeatLost;
    /** When the consumer last had no connection to any broker (System.nanoTime), or 0 while it has one. */
    private long noConnectionSince;

    /** Reads and reports the source's health through {@code reported} and {@code report} (the base class's holder). */
    public Liveness(String source, Supplier<SourceHealth> reported, Consumer<SourceHealth> report) {
        this.source = source;
        this.reported = reported;
        this.report = report;
    }

    /** The consumer whose metrics tell liveness; called once, before the poll thread starts. */
    public void watch(KafkaConsumer<byte[], byte[]> consumer, long sessionTimeoutMs) {
        this.consumer = consumer;
        this.sessionTimeoutMs = sessionTimeoutMs;
    }

    public StuckCopies stuckCopies() {
        return stuckCopies;
    }

    /** {@code h}, the health last reported, with what liveness knows besides: a stuck copy, the lag. */
    public SourceHealth over(SourceHealth h) {
        SourceHealth withStuck = stuckCopies.over(h);
        if (withStuck != h) {
            return withStuck;
        }
        Long l = lag;
        return h.state() == SourceHealth.State.CONNECTED && l != null ? h.withLag(l) : h;
    }

    /** The group assigned partitions (possibly none): the member is connected. */
    public void assigned(int partitionCount, List<String> topics) {
        everAssigned = true;
        connected("assigned " + partitionCount + " partition(s) of " + topics);
    }

    private void connected(String detail) {
        report.accept(SourceHealth.of(SourceHealth.State.CONNECTED, detail, Instant.now()));
        LOG.info("Kafka source {} connected: {}", source, detail);
    }

    /** {@code poll} threw; logged once per distinct cause. */
    public void disconnected(KafkaException e) {
        String detail = AbstractBrokerSource.describe(e);
        SourceHealth health = reported.get();
        if (health.state() != SourceHealth.State.DISCONNECTED || !health.detail().equals(detail)) {
            LOG.warn("Kafka source {} cannot consume (retrying): {}", source, detail);
            report.accept(SourceHealth.of(SourceHealth.State.DISCONNECTED, detail, Instant.now()));
        }
    }

    /** The poll thread died: the source no longer consumes. */
    public void failed(String detail) {
        report.accept(SourceHealth.of(SourceHealth.State.DISCONNECTED, detail, Instant.now()));
    }

    /** After a {@code poll} that did not throw: back to connected once the heartbeat is fresh again. */
    public void polled(List<String> topics) {
        if (everAssigned && reported.get().state() != SourceHealth.State.CONNECTED && (!heartbeatLost || heartbeatFresh())) {
            heartbeatLost = false;
            connected("assigned " + consumer.assignment().size() + " partition(s) of " + topics);
        }
    }

    /** Every second or so: the heartbeat, the connections and the lag. */
    public void check() {
        checkHeartbeat();
        refreshLag();
    }

    /**
     * A broker that goes away makes {@code poll} return nothing rather than throw; the heartbeats to
     * the group coordinator stop, though. No heartbeat for longer than the session timeout means
     * this member is cut off from its group.
     */
    private void checkHeartbeat() {
        if (!everAssigned || reported.get().state() != SourceHealth.State.CONNECTED) {
            return;
        }
        if (checkConnections()) {
            return;
        }
        Metric heartbeat = find("last-heartbeat-seconds-ago", "consumer-coordinator-metrics");
        Object secondsAgo = heartbeat == null ? null : heartbeat.metricValue();
        if (secondsAgo instanceof Number && ((Number) secondsAgo).doubleValue() * 1000 > sessionTimeoutMs) {
            lost("no heartbeat to the group coordinator for " + ((Number) secondsAgo).longValue() + " s (session timeout "
                    + sessionTimeoutMs + " ms): broker unreachable?");
        }
    }

    /**
     * The heartbeat metric alone misses a broker that went away when the session timeout is long
     * (seen with 6 s: the metric kept being reset by heartbeat attempts). No open connection to any
     * broker for longer than min(session timeout, 10 s) is a plainer sign. Returns true when it
     * marked the source disconnected.
     */
    private boolean checkConnections() {
        Double connections = connectionCount();
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
            lost("no connection to any Kafka broker for " + downMs / 1000 + " s (heartbeat to the group coordinator lost)");
            return true;
        }
        return false;
    }

    private void lost(String detail) {
        report.accept(SourceHealth.of(SourceHealth.State.DISCONNECTED, detail, Instant.now()));
        heartbeatLost = true;
        LOG.warn("Kafka source {}: {}", source, detail);
    }

    private boolean heartbeatFresh() {
        Double connections = connectionCount();
        if (connections != null && connections == 0) {
            return false;
        }
        Metric heartbeat = find("last-heartbeat-seconds-ago", "consumer-coordinator-metrics");
        if (heartbeat == null) {
            return true;
        }
        Object secondsAgo = heartbeat.metricValue();
        return secondsAgo instanceof Number && ((Number) secondsAgo).doubleValue() * 1000 <= sessionTimeoutMs;
    }

    /** Open connections to brokers; null when the consumer does not report them. */
    private Double connectionCount() {
        Metric m = find("connection-count", "consumer-metrics");
        Object v = m == null ? null : m.metricValue();
        return v instanceof Number ? ((Number) v).doubleValue() : null;
    }

    private Metric find(String metricName, String group) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.name().equals(metricName) && n.group().equals(group)) {
                return e.getValue();
            }
        }
        return null;
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
}
