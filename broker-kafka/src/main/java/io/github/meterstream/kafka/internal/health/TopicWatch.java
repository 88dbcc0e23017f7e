package io.github.meterstream.kafka.internal.health;

import io.github.meterstream.kafka.KafkaSourceConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks the cluster for the partitions of each configured topic: first until it answers at all,
 * then now and then. A {@code KafkaConsumer} does not throw when no broker can be reached, and a
 * consumer subscribed to a topic that does not exist is assigned nothing without a word, so
 * without this a source pointed at a wrong port, or at a topic nobody created, would look fine.
 * Poll thread only (it uses the consumer).
 */
public final class TopicWatch {

    private static final Logger LOG = LoggerFactory.getLogger(TopicWatch.class);
    /** How long one attempt to reach the cluster waits; a TLS and SASL handshake fits well within it. */
    static final Duration REACH_TIMEOUT = Duration.ofSeconds(5);
    /** How long a later check waits: it runs on the poll thread, so short; a check that times out changes nothing. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);
    /** How often topics are checked again while one is missing (to clear it soon after it is created), and otherwise. */
    private static final long CHECK_WHILE_MISSING_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final KafkaSourceConfig config;
    private final HealthReport health;
    private List<String> missing = List.of();
    private long nextCheck;

    public TopicWatch(KafkaSourceConfig config, HealthReport health) {
        this.config = config;
        this.health = health;
    }

    /**
     * One attempt to reach the cluster: true once it answered for every topic (missing topics are
     * reported then). On failure health stays {@code CONNECTING} since the first attempt, with the
     * error naming {@code bootstrap-servers} (or the TLS or SASL key it points at).
     */
    public boolean reach(KafkaConsumer<?, ?> consumer) {
        try {
            List<String> absent = absentTopics(consumer, REACH_TIMEOUT);
            report(absent);
            health.stillConnecting("cluster at " + ErrorKeys.named(config, KafkaSourceConfig.BOOTSTRAP_SERVERS.name())
                    + " answered; joining group " + config.groupId());
            nextCheck = System.nanoTime() + (absent.isEmpty() ? CHECK_NANOS : CHECK_WHILE_MISSING_NANOS);
            return true;
        } catch (TimeoutException e) {
            health.attemptFailed(ErrorKeys.named(config, KafkaSourceConfig.BOOTSTRAP_SERVERS.name())
                    + ": no Kafka broker answered within " + REACH_TIMEOUT.toSeconds()
                    + " s (wrong host or port, broker down, or a listener that needs other security settings)");
            return false;
        } catch (KafkaException e) {
            health.attemptFailed(ErrorKeys.explain(config, e));
            return false;
        }
    }

    /** Every few seconds: which topics are missing now. A check that cannot reach the cluster changes nothing. */
    public void check(KafkaConsumer<?, ?> consumer) {
        long now = System.nanoTime();
        if (now - nextCheck < 0) {
            return;
        }
        try {
            report(absentTopics(consumer, CHECK_TIMEOUT));
        } catch (KafkaException e) {
            LOG.debug("Kafka source topic check failed (the poll reports connection trouble): {}", e.toString());
        }
        nextCheck = System.nanoTime() + (missing.isEmpty() ? CHECK_NANOS : CHECK_WHILE_MISSING_NANOS);
    }

    private List<String> absentTopics(KafkaConsumer<?, ?> consumer, Duration timeout) {
        List<String> absent = new ArrayList<>();
        for (String topic : config.topics()) {
            try {
                List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
                if (partitions == null || partitions.isEmpty()) {
                    absent.add(topic);
                }
            } catch (TopicAuthorizationException e) {
                // it exists or not, this member may not read it: the poll says so, naming the key
            }
        }
        return absent;
    }

    private void report(List<String> absent) {
        missing = List.copyOf(absent);
        health.missingTopics(missing);
    }
}
