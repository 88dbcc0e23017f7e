package io.github.meterstream.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One hand-over of a record to the sink: the record, the ownership period of its partition it
 * belongs to, which attempt it is, and when it may be handed over (retries wait). A new object per
 * attempt, so that a settlement of an old attempt can be told apart from the current one.
 *
 * <p>Each attempt goes {@code WAITING -> IN_FLIGHT} (handed over, poll thread) and then once to
 * {@code SETTLED}, {@code RETRYING} (back to waiting as a new attempt) or {@code RELEASED} (the
 * partition went): the first compare-and-set wins, which is what makes a settlement count at most
 * once without a lock shared with the poll thread.
 */
public final class Delivery implements Comparable<Delivery> {

    static final int WAITING = 0;
    static final int IN_FLIGHT = 1;
    static final int SETTLED = 2;
    static final int RETRYING = 3;
    static final int RELEASED = 4;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Delivery.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ConsumerRecord<byte[], byte[]> record;
    private final PartitionState partition;
    /** The offset's place in its partition, shared by every attempt of the record. */
    final PartitionState.Slot slot;
    private final int attempt;
    private final long dueNanos;
    /** How many settlements of this record failed in a row (a dead-letter copy the broker did not confirm). */
    private final int settlementFailures;
    @SuppressWarnings("unused") // through STATE
    private volatile int state = WAITING;

    /** The first attempt: due at once. */
    Delivery(ConsumerRecord<byte[], byte[]> record, PartitionState partition, PartitionState.Slot slot) {
        this(record, partition, slot, 1, 0L, 0);
    }

    private Delivery(ConsumerRecord<byte[], byte[]> record, PartitionState partition, PartitionState.Slot slot, int attempt,
                     long dueNanos, int settlementFailures) {
        this.record = record;
        this.partition = partition;
        this.slot = slot;
        this.attempt = attempt;
        this.dueNanos = dueNanos;
        this.settlementFailures = settlementFailures;
    }

    /**
     * The next attempt of the same record, due {@code delayNanos} from now; after a failed
     * settlement, one more failure in a row (from which the next delay grows), else none.
     */
    public Delivery next(long delayNanos, boolean settlementFailed) {
        return new Delivery(record, partition, slot, attempt + 1, System.nanoTime() + delayNanos,
                settlementFailed ? settlementFailures + 1 : 0);
    }

    boolean moveTo(int from, int to) {
        return STATE.compareAndSet(this, from, to);
    }

    int state() {
        return (int) STATE.getVolatile(this);
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

    public int settlementFailures() {
        return settlementFailures;
    }

    /** {@code topic[partition]@offset}, how logs and health name the record. */
    public String where() {
        return record.topic() + '[' + record.partition() + "]@" + record.offset();
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
