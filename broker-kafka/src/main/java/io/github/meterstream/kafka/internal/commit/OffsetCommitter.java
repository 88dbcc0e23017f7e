package io.github.meterstream.kafka.internal.commit;

import io.github.meterstream.core.source.DeliveryGate;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.internal.Delivery;
import io.github.meterstream.kafka.internal.FetchedRecords;
import io.github.meterstream.kafka.internal.PartitionState;
import io.github.meterstream.kafka.internal.health.Liveness;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Owns the offsets: what is committed ({@link PartitionState#committable()}, when: see
 * {@code KafkaSource}), and what happens to a partition's records when the group moves it, as
 * SmallRye's commit handlers do.
 * <ul>
 *   <li>Assigned: a new ownership period starts (paused at once if the source is paused or closing).</li>
 *   <li>Revoked: nothing more of the partition is handed over, the records in flight get up to
 *       {@code revoke-timeout} to settle, what is settled is committed and the partition is
 *       released, so later settlements of it fail.</li>
 *   <li>Lost (this member was expelled): released without a commit; the new owner delivers the
 *       unsettled records again.</li>
 * </ul>
 * Poll thread only: it calls the consumer, and Kafka runs the rebalance callbacks inside {@code poll}.
 */
public final class OffsetCommitter implements ConsumerRebalanceListener {

    private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);

    private final String source;
    private final KafkaSourceConfig config;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final FetchedRecords records;
    private final Liveness liveness;
    private final DeliveryGate gate;
    private final Consumer<Delivery> returnedToBroker;
    private final Predicate<Delivery> heldBySource;

    /**
     * @param returnedToBroker told of each delivery in flight when its partition goes: the base
     *                         stops waiting for it (its settlement fails, the new owner gets the record)
     * @param heldBySource     true for a delivery the base holds to hand over again (the sink
     *                         refused it): nobody settles it meanwhile, so a revoke does not wait for it
     */
    public OffsetCommitter(String source, KafkaSourceConfig config, KafkaConsumer<byte[], byte[]> consumer,
                           FetchedRecords records, Liveness liveness, DeliveryGate gate,
                           Consumer<Delivery> returnedToBroker, Predicate<Delivery> heldBySource) {
        this.source = source;
        this.config = config;
        this.consumer = consumer;
        this.records = records;
        this.liveness = liveness;
        this.gate = gate;
        this.returnedToBroker = returnedToBroker;
        this.heldBySource = heldBySource;
    }

    /** Commits every owned partition without waiting; a failure is logged and the next interval tries again. */
    public void commitAsync() {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(records.states());
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, error) -> {
            if (error == null) {
                committed(committed);
                LOG.debug("Kafka source {} committed {}", source, committed);
            } else {
                LOG.warn("Kafka source {}: commit of {} failed, retried at the next interval: {}", source, offsets, error.toString());
            }
        });
    }

    /** Commits {@code states} and waits up to {@code timeout}; {@code why} names the occasion in the log. */
    public void commitSync(Collection<PartitionState> states, String why, Duration timeout) {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(states);
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, timeout);
            committed(offsets);
            LOG.info("Kafka source {} committed on {}: {}", source, why, offsets);
        } catch (KafkaException e) {
            LOG.warn("Kafka source {}: commit on {} failed, the records after the last commit are delivered again: {}",
                    source, why, e.toString());
        }
    }

    private void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, om) -> {
            PartitionState p = records.state(tp);
            if (p != null) {
                p.committed(om.offset());
            }
        });
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

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        records.assigned(assigned);
        if (!gate.isOpen()) {
            consumer.pause(assigned);
        }
        liveness.assigned(consumer.assignment().size());
        if (!assigned.isEmpty()) {
            LOG.info("Kafka source {} assigned {}", source, assigned);
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
                drained &= p.awaitSettled(deadline, heldBySource);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        commitSync(states, "revoke", Duration.ofSeconds(10));
        release(states);
        LOG.info("Kafka source {} revoked {}{}", source, revoked,
                drained ? "" : " (some messages still in flight after " + config.revokeTimeout() + "; they will be delivered again)");
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        release(letGoOf(lost));
        LOG.warn("Kafka source {} lost {} without committing; their unsettled records go to the new owner", source, lost);
    }

    private List<PartitionState> letGoOf(Collection<TopicPartition> partitions) {
        // the new owner deals with those records now, and reports its own trouble
        liveness.forget(partitions);
        return records.letGoOf(partitions);
    }

    private void release(List<PartitionState> states) {
        for (PartitionState p : states) {
            records.release(p).forEach(returnedToBroker);
        }
    }
}
