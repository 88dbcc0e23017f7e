package io.github.meterstream.core.failure;

/**
 * The reason codes broker-core puts in {@link DeadLetterEnvelope#reasonCode()}. Handlers and
 * validators add their own (the Kill Bill plugin adds {@code UNKNOWN_TENANT}, {@code
 * UNIT_NOT_IN_PLAN} and others); codes are upper-case words joined by underscores and never change
 * meaning once published, because operators filter dead-letter queues by them.
 */
public final class ReasonCodes {

    /** The payload is not valid JSON, or not the expected shape. */
    public static final String MALFORMED_PAYLOAD = "MALFORMED_PAYLOAD";
    /** The payload is larger than the configured limit. */
    public static final String PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE";
    /** The message breaks a rule of the message contract (a missing field, a negative amount ...). */
    public static final String INVALID_MESSAGE = "INVALID_MESSAGE";
    /** The idempotency key was already used for a different payload. */
    public static final String IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT";
    /** The handler threw an exception that is neither permanent nor transient, too many times. */
    public static final String HANDLER_ERROR = "HANDLER_ERROR";

    private ReasonCodes() {
    }
}
