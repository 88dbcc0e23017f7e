package io.github.meterstream.core.failure;

/**
 * A failure to process one message, classified by its type: {@link PermanentFailure} (the message
 * itself is wrong; trying again cannot help) or {@link TransientFailure} (something the message
 * depends on is unavailable; the same message will succeed later). Anything else a handler throws
 * is unclassified and handled as {@link ReasonCodes#HANDLER_ERROR} by the pipeline's failure
 * policy.
 *
 * <p>The failure carries the reason code and, when known, the tenant and tracking id it concerns,
 * so that logs and dead-letter envelopes can name them without parsing the message again.
 */
public abstract class MessageFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String reasonCode;
    private final String tenant;
    private final String trackingId;

    protected MessageFailure(String reasonCode, String message, String tenant, String trackingId, Throwable cause) {
        super(message, cause);
        if (reasonCode == null || reasonCode.isBlank()) {
            throw new IllegalArgumentException("reasonCode must not be blank");
        }
        this.reasonCode = reasonCode;
        this.tenant = tenant;
        this.trackingId = trackingId;
    }

    /** A stable code such as {@code INVALID_MESSAGE}; see {@link ReasonCodes}. */
    public String reasonCode() {
        return reasonCode;
    }

    /** The tenant the failed message names, or {@code null}. */
    public String tenant() {
        return tenant;
    }

    /** The tracking id of the failed message, or {@code null}. */
    public String trackingId() {
        return trackingId;
    }
}
