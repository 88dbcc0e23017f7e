package io.github.meterstream.kafka.internal.commit;

import io.github.meterstream.kafka.internal.FetchedRecords;
import io.github.meterstream.kafka.internal.PartitionState;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Owns the offset commits: for each partition the lowest offset not settled yet (or one past the
 * last record fetched when all are settled, see {@link PartitionState#committable()}), so that a
 * commit never passes a record that is in flight, waiting for a retry, being dead-lettered or held.
 * Asynchronous every {@code commit-interval}, synchronous on revoke and close. Poll thread only: it
 * calls the consumer.
 */
public final class OffsetCommitter {

    private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);

    private final String source;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final FetchedRecords records;

    public OffsetCommitter(String source, KafkaConsumer<byte[], byte[]> consumer, FetchedRecords records) {
        this.source = source;
        this.consumer = consumer;
        this.records = records;
    }

    /** Commits every owned partition without waiting; a failure is logged and the next interval tries again. */
    public void commitAsync() {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(records.states());
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, error) -> {
            if (error == null) {
                committed.forEach((tp, om) -> {
                    PartitionState p = records.state(tp);
                    if (p != null) {
                        p.committed(om.offset());
                    }
                });
                LOG.debug("Kafka source {} committed {}", source, committed);
            } else {
                LOG.warn("Kafka source {}: commit of {} failed, retried at the next interval: {}", source, offsets, error.toString());
            }
        });
    }

    /** Commits {@code states} and waits up to {@code timeout}; {@code why} names the occasion in the log. */
    public boolean commitSync(Collection<PartitionState> states, String why, Duration timeout) {
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
            LOG.info("Kafka source {} committed on {}: {}", source, why, offsets);
            return true;
        } catch (KafkaException e) {
            LOG.warn("Kafka source {}: commit on {} failed, the records after the last commit are delivered again: {}",
                    source, why, e.toString());
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
}
