package io.github.meterstream.kafka.internal;

import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.internal.commit.OffsetCommitter;
import io.github.meterstream.kafka.internal.health.Liveness;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Owns what happens when the group moves partitions. Assigned: a new ownership period starts
 * (paused at once if the source is paused or closing). Revoked: nothing more of the partition is
 * handed over, the records in flight get up to {@code revoke-timeout} to settle, what is settled is
 * committed and the partition is released, so later settlements of it fail. Lost (this member was
 * expelled): released without a commit, the new owner delivers the unsettled records again.
 *
 * <p>Kafka runs these callbacks on the poll thread, inside {@code poll}.
 */
public final class RebalanceHandler implements ConsumerRebalanceListener {

    private static final Logger LOG = LoggerFactory.getLogger(RebalanceHandler.class);

    private final String source;
    private final KafkaSourceConfig config;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final FetchedRecords records;
    private final OffsetCommitter committer;
    private final Liveness liveness;
    private final BooleanSupplier fetchingHeld;
    private final Consumer<Delivery> noLongerInFlight;
    private final AtomicLong revocations = new AtomicLong();

    /**
     * @param fetchingHeld     whether the source is paused or closing: new partitions are paused then
     * @param noLongerInFlight told of each delivery in flight when its partition goes: the source
     *                         stops waiting for it (its settlement fails, the new owner gets the record)
     */
    public RebalanceHandler(String source, KafkaSourceConfig config, KafkaConsumer<byte[], byte[]> consumer,
                            FetchedRecords records, OffsetCommitter committer, Liveness liveness,
                            BooleanSupplier fetchingHeld, Consumer<Delivery> noLongerInFlight) {
        this.source = source;
        this.config = config;
        this.consumer = consumer;
        this.records = records;
        this.committer = committer;
        this.liveness = liveness;
        this.fetchingHeld = fetchingHeld;
        this.noLongerInFlight = noLongerInFlight;
    }

    /** Partitions revoked or lost since the source started. */
    public long revocations() {
        return revocations.get();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        records.assigned(assigned);
        if (fetchingHeld.getAsBoolean()) {
            consumer.pause(assigned);
        }
        liveness.assigned(consumer.assignment().size(), config.topics());
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
                drained &= p.awaitNoneInFlight(deadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        committer.commitSync(states, "revoke", Duration.ofSeconds(10));
        release(states);
        revocations.addAndGet(states.size());
        LOG.info("Kafka source {} revoked {}{}", source, revoked,
                drained ? "" : " (some messages still in flight after " + config.revokeTimeout() + "; they will be delivered again)");
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        List<PartitionState> states = letGoOf(lost);
        release(states);
        revocations.addAndGet(states.size());
        LOG.warn("Kafka source {} lost {} without committing; their unsettled records go to the new owner", source, lost);
    }

    private void release(List<PartitionState> states) {
        for (PartitionState p : states) {
            records.release(p).forEach(noLongerInFlight);
        }
    }

    private List<PartitionState> letGoOf(Collection<TopicPartition> partitions) {
        List<PartitionState> states = records.letGoOf(partitions);
        // the new owner deals with those records now, and reports its own trouble
        liveness.stuckCopies().forget(partitions);
        return states;
    }
}
