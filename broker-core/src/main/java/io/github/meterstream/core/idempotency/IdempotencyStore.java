package io.github.meterstream.core.idempotency;

import java.time.Duration;

/**
 * Remembers which messages were already handled, so that a message delivered twice (a broker
 * redelivery) or published twice (a producer retry, a resubmission by mistake) is handled once.
 *
 * <p>A key goes through {@code claim} -> {@code complete} (handled), {@code release} (not handled,
 * may be tried again as new) or {@code abandon} (outcome unknown, may be tried again). A claim is a
 * lease, renewed while its holder works: if the node holding it crashes, the claim expires after
 * {@code lease} and the next delivery of the message can claim it again. The fingerprint is a hash
 * of the message's meaningful content; a key claimed or completed with another fingerprint is a
 * {@link ClaimResult.Status#CONFLICT}, never a silent duplicate, because the producer reused an id
 * for different data.
 *
 * <p>Implementations are thread-safe. A store that shares its state between processes (the JDBC
 * store) must make {@code claim} atomic across them: two nodes claiming one key at the same moment
 * get {@code CLAIMED} once. A store that cannot reach its backing state throws {@link
 * io.github.meterstream.core.failure.TransientFailure}.
 */
public interface IdempotencyStore {

    /**
     * Claims {@code key} for {@code lease}. CLAIMED when absent ({@link ClaimResult#claimed fresh}),
     * or when an earlier claim expired, was abandoned, or is provably dead ({@link
     * ClaimResult#takenOver taken over}); DUPLICATE when completed with the same fingerprint;
     * IN_PROGRESS when another live claim with the same fingerprint holds it; CONFLICT when the
     * stored fingerprint differs.
     */
    ClaimResult claim(IdempotencyKey key, String fingerprint, Duration lease);

    /**
     * Extends a claim this caller still holds to {@code lease} from now. The pipeline calls it
     * periodically while the handler runs, so that a slow downstream call never outlives its
     * claim and lets another node run the same message at the same time.
     *
     * @return false if {@code claimToken} no longer holds the claim (it expired and was taken over)
     */
    boolean renew(IdempotencyKey key, String claimToken, Duration lease);

    /** Marks a claimed key handled, for good. A token that no longer holds the claim is ignored. */
    void complete(IdempotencyKey key, String claimToken);

    /**
     * Forgets a claimed key: the attempt is known not to have reached the downstream (it failed
     * permanently before or at the downstream's refusal), so a later message with this key is new.
     * Ignored for a stale token.
     */
    void release(IdempotencyKey key, String claimToken);

    /**
     * Gives a claimed key up after an attempt whose effect on the downstream is unknown (a timeout,
     * a transient failure): the key may be claimed again at once, and that claim is reported as
     * {@link ClaimResult#takenOver taken over}, since this attempt may have written. When the store
     * cannot be reached to record it, the store still remembers the token, so that its own next
     * claim of the key takes the claim over instead of waiting for the lease. Ignored for a stale
     * token.
     */
    void abandon(IdempotencyKey key, String claimToken);
}
