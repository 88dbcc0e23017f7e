package io.github.meterstream.kafka.internal.health;

import io.github.meterstream.core.source.SourceHealth;
import org.apache.kafka.common.TopicPartition;

import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Owns the records whose dead-letter copy failed repeatedly, or in a way retrying cannot fix, by
 * {@code topic[partition]@offset}. A source with such a record is connected but does not get rid
 * of what it must, so they turn its health red until the copy is confirmed, the record is settled
 * another way or its partition goes to another member. Any thread.
 */
public final class StuckCopies {

    private final Map<String, StuckCopy> copies = new ConcurrentHashMap<>();

    /** Records {@code where} as stuck with {@code detail}; true if it was not stuck before (worth an ERROR). */
    public boolean stuck(String where, TopicPartition partition, String detail) {
        StuckCopy before = copies.get(where);
        copies.put(where, new StuckCopy(partition, detail, before == null ? Instant.now() : before.since));
        return before == null;
    }

    /** {@code where} no longer counts (copied, or settled another way); true if it was stuck. */
    public boolean resolved(String where) {
        return !copies.isEmpty() && copies.remove(where) != null;
    }

    /** The new owner of {@code partitions} deals with their records now, and reports its own trouble. */
    public void forget(Collection<TopicPartition> partitions) {
        Set<TopicPartition> set = new HashSet<>(partitions);
        copies.values().removeIf(c -> set.contains(c.partition));
    }

    public void clear() {
        copies.clear();
    }

    /**
     * {@code health} as it stands with the stuck copies: a connected source with one reports
     * {@code DISCONNECTED}, naming the oldest record and its cause, since it went stuck.
     */
    SourceHealth over(SourceHealth health) {
        if (health.state() != SourceHealth.State.CONNECTED || copies.isEmpty()) {
            return health;
        }
        StuckCopy oldest = null;
        for (StuckCopy c : copies.values()) {
            if (oldest == null || c.since.isBefore(oldest.since)) {
                oldest = c;
            }
        }
        if (oldest == null) {
            return health;
        }
        int others = copies.size() - 1;
        return SourceHealth.of(SourceHealth.State.DISCONNECTED, oldest.detail
                + (others > 0 ? " (and " + others + " more record(s) whose dead-letter copy fails)" : ""), oldest.since);
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
