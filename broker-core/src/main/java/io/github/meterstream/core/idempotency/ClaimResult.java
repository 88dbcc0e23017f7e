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

    private ClaimResult(Status status, String claimToken, String existingFingerprint) {
        this.status = Objects.requireNonNull(status, "status");
        this.claimToken = claimToken;
        this.existingFingerprint = existingFingerprint;
    }

    public static ClaimResult claimed(String claimToken) {
        return new ClaimResult(Status.CLAIMED, Objects.requireNonNull(claimToken, "claimToken"), null);
    }

    public static ClaimResult duplicate() {
        return new ClaimResult(Status.DUPLICATE, null, null);
    }

    public static ClaimResult inProgress() {
        return new ClaimResult(Status.IN_PROGRESS, null, null);
    }

    public static ClaimResult conflict(String existingFingerprint) {
        return new ClaimResult(Status.CONFLICT, null, existingFingerprint);
    }

    public Status status() {
        return status;
    }

    /** The token to pass to {@code complete}/{@code release}; only for {@link Status#CLAIMED}. */
    public String claimToken() {
        return claimToken;
    }

    /** The fingerprint stored for the key; only for {@link Status#CONFLICT}. */
    public String existingFingerprint() {
        return existingFingerprint;
    }

    @Override
    public String toString() {
        return status + (claimToken == null ? "" : " " + claimToken);
    }
}
