package io.github.meterstream.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One hand-over of a record to the sink: the record, the ownership period of its partition it
 * belongs to, which attempt it is, and when it may be handed over (retries wait). A new object per
 * attempt, so that a settlement of an old attempt can be told apart from the current one.
 */
public final class Delivery implements Comparable<Delivery> {

    private final ConsumerRecord<byte[], byte[]> record;
    private final PartitionState partition;
    private final int attempt;
    private final long dueNanos;
    private final int settlementFailures;

    public Delivery(ConsumerRecord<byte[], byte[]> record, PartitionState partition, int attempt, long dueNanos,
                    int settlementFailures) {
        this.record = record;
        this.partition = partition;
        this.attempt = attempt;
        this.dueNanos = dueNanos;
        this.settlementFailures = settlementFailures;
    }

    public ConsumerRecord<byte[], byte[]> record() {
        return record;
    }

    public PartitionState partition() {
        return partition;
    }

    public long offset() {
        return record.offset();
    }

    public int attempt() {
        return attempt;
    }

    public long dueNanos() {
        return dueNanos;
    }

    /** How many settlements of this record failed in a row (a dead-letter copy the broker did not confirm). */
    public int settlementFailures() {
        return settlementFailures;
    }

    /** {@code topic[partition]@offset}, how logs and health name the record. */
    public String where() {
        return record.topic() + '[' + record.partition() + "]@" + record.offset();
    }

    /** The next attempt of the same record, due {@code delayNanos} from now. */
    public Delivery retry(long delayNanos) {
        return new Delivery(record, partition, attempt + 1, System.nanoTime() + delayNanos, 0);
    }

    /**
     * The next attempt after its settlement failed, due {@code delayNanos} from now: still one more
     * delivery attempt, and one more failure in a row, from which the next delay grows.
     */
    public Delivery afterSettlementFailure(long delayNanos) {
        return new Delivery(record, partition, attempt + 1, System.nanoTime() + delayNanos, settlementFailures + 1);
    }

    /** Earliest due first; ties by partition order of offsets. */
    @Override
    public int compareTo(Delivery o) {
        int c = Long.compare(dueNanos - o.dueNanos, 0L);
        return c != 0 ? c : Long.compare(offset(), o.offset());
    }

    @Override
    public String toString() {
        return where() + " attempt " + attempt;
    }
}
