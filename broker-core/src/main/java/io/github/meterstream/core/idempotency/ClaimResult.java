package io.github.meterstream.core.idempotency;

import java.util.Objects;

/** The answer of {@link IdempotencyStore#claim}. */
public final class ClaimResult {

    /** What the store found for the key. */
    public enum Status {
        /** The key is now claimed by the caller, who must {@code complete} or {@code release} it. */
        CLAIMED,
        /** The key was completed before with the same fingerprint: the message is a duplicate. */
        DUPLICATE,
        /** Another live claim with the same fingerprint holds the key: try again later. */
        IN_PROGRESS,
        /** The key exists with a different fingerprint: the id was reused for different content. */
        CONFLICT
    }

    private final Status status;
    private final String claimToken;
    private final String existingFingerprint;
    private final boolean takenOver;

    private ClaimResult(Status status, String claimToken, String existingFingerprint, boolean takenOver) {
        this.status = Objects.requireNonNull(status, "status");
        this.claimToken = claimToken;
        this.existingFingerprint = existingFingerprint;
        this.takenOver = takenOver;
    }

    /** A fresh claim: no earlier claim existed for the key. */
    public static ClaimResult claimed(String claimToken) {
        return new ClaimResult(Status.CLAIMED, Objects.requireNonNull(claimToken, "claimToken"), null, false);
    }

    /**
     * A claim taken over from an earlier one that expired or was abandoned: the earlier holder may
     * have reached the downstream before it stopped.
     */
    public static ClaimResult takenOver(String claimToken) {
        return new ClaimResult(Status.CLAIMED, Objects.requireNonNull(claimToken, "claimToken"), null, true);
    }

    public static ClaimResult duplicate() {
        return new ClaimResult(Status.DUPLICATE, null, null, false);
    }

    public static ClaimResult inProgress() {
        return new ClaimResult(Status.IN_PROGRESS, null, null, false);
    }

    public static ClaimResult conflict(String existingFingerprint) {
        return new ClaimResult(Status.CONFLICT, null, existingFingerprint, false);
    }

    public Status status() {
        return status;
    }

    /** The token to pass to {@code complete}/{@code release}; only for {@link Status#CLAIMED}. */
    public String claimToken() {
        return claimToken;
    }

    /** True for a {@link Status#CLAIMED} claim that replaced an earlier one (see {@link #takenOver(String)}). */
    public boolean isTakenOver() {
        return takenOver;
    }

    /** The fingerprint stored for the key; only for {@link Status#CONFLICT}. */
    public String existingFingerprint() {
        return existingFingerprint;
    }

    @Override
    public String toString() {
        return status + (takenOver ? " (taken over)" : "") + (claimToken == null ? "" : " " + claimToken);
    }
}
