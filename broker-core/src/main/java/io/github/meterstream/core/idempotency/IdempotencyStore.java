package io.github.meterstream.core.idempotency;

import java.time.Duration;

/**
 * Remembers which messages were already handled, so that a message delivered twice (a broker
 * redelivery) or published twice (a producer retry, a resubmission by mistake) is handled once.
 *
 * <p>A key goes through {@code claim} -> {@code complete} (handled) or {@code release} (not handled,
 * may be tried again). A claim is a lease: if the node holding it crashes, the claim expires after
 * {@code lease} and the next delivery of the message can claim it again. The fingerprint is a hash
 * of the message's meaningful content; a key claimed or completed with another fingerprint is a
 * {@link ClaimResult.Status#CONFLICT}, never a silent duplicate, because the producer reused an id
 * for different data.
 *
 * <p>Implementations are thread-safe. A store that shares its state between processes (the JDBC
 * store) must make {@code claim} atomic across them: two nodes claiming one key at the same moment
 * get {@code CLAIMED} once. A store that cannot reach its backing state throws {@link
 * io.github.meterstream.core.TransientFailure}.
 */
public interface IdempotencyStore {

    /**
     * Claims {@code key} for {@code lease}. CLAIMED when absent or when an earlier claim expired;
     * DUPLICATE when completed with the same fingerprint; IN_PROGRESS when another live claim with
     * the same fingerprint holds it; CONFLICT when the stored fingerprint differs.
     */
    ClaimResult claim(IdempotencyKey key, String fingerprint, Duration lease);

    /** Marks a claimed key handled, for good. A token that no longer holds the claim is ignored. */
    void complete(IdempotencyKey key, String claimToken);

    /** Gives a claimed key up so that a later delivery may claim it. Ignored for a stale token. */
    void release(IdempotencyKey key, String claimToken);
}
