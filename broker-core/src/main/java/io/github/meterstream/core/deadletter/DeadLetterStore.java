package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.failure.DeadLetterEnvelope;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A searchable copy of rejected messages, kept beside the broker's dead-letter destination (which
 * stays the durable copy). One entry per distinct rejected message: the same payload rejected again
 * by the same source for the same reason is one more sighting of the entry, not a new one.
 *
 * <p>Implementations are thread-safe. Methods throw {@link IllegalStateException} when the store
 * cannot be reached; nothing is half-written.
 */
public interface DeadLetterStore {

    /**
     * Keeps a copy of a message the broker confirmed as dead-lettered.
     *
     * @param payload the message as received; stored up to the store's cap (the entry says how long it was)
     * @param subject what the message is about, as the message names it (a subscription, an account), or null
     * @return the entry's id
     */
    String record(DeadLetterEnvelope envelope, byte[] payload, String subject);

    /** The entries matching {@code query}, most recently seen first, one page of them. */
    List<StoredRejection> list(RejectionQuery query);

    /** One entry, payload included. */
    Optional<StoredRejection> find(String id);

    /** How many entries match {@code query}, per reason code (paging ignored). */
    Map<String, Long> countByReason(RejectionQuery query);

    /** How many entries match {@code query}, per UTC day they were last seen (paging ignored). */
    Map<LocalDate, Long> countByDay(RejectionQuery query);

    /**
     * Marks an entry as discarded by {@code by}: kept, with who and when, and no longer offered for
     * replay. A later rejection of the same message opens it again.
     *
     * @return false when there is no such entry
     */
    boolean discard(String id, String by);

    /**
     * Stores what replaying an entry did. {@link StoredRejection.ReplayOutcome#RECORDED} and
     * {@link StoredRejection.ReplayOutcome#DUPLICATE} close it ({@link StoredRejection.State#REPLAYED});
     * the others leave it open.
     *
     * @return false when there is no such entry
     */
    boolean replayed(String id, StoredRejection.ReplayOutcome outcome, String detail, String by);

    /** Deletes the entries last seen before {@code cutoff}; returns how many (the retention bound). */
    int purgeLastSeenBefore(Instant cutoff);
}
