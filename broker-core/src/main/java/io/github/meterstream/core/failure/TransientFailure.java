package io.github.meterstream.core.failure;

/**
 * The message is fine but cannot be processed now: the downstream (Kill Bill, its database, a
 * network) is unavailable, or another node holds the message's idempotency claim. The pipeline
 * retries it with exponential backoff and, when such failures keep coming, pauses all consumption
 * until the downstream answers again. A transient failure is never dead-lettered and never
 * dropped.
 */
public class TransientFailure extends MessageFailure {

    private static final long serialVersionUID = 1L;

    /** Reason code of transient failures that do not name a more precise one. */
    public static final String DOWNSTREAM_UNAVAILABLE = "DOWNSTREAM_UNAVAILABLE";

    public TransientFailure(String message, Throwable cause) {
        this(DOWNSTREAM_UNAVAILABLE, message, null, null, cause);
    }

    public TransientFailure(String reasonCode, String message, String tenant, String trackingId, Throwable cause) {
        super(reasonCode, message, tenant, trackingId, cause);
    }
}
