package io.github.meterstream.core.failure;

/**
 * The message can never be processed as it is: bad JSON, a rule of the contract broken, an unknown
 * tenant or subscription. The pipeline dead-letters it (under the default failure policy) with
 * {@link #reasonCode()} and {@link #getMessage()}, which must tell a person what to fix.
 */
public class PermanentFailure extends MessageFailure {

    private static final long serialVersionUID = 1L;

    public PermanentFailure(String reasonCode, String message) {
        this(reasonCode, message, null, null, null);
    }

    public PermanentFailure(String reasonCode, String message, Throwable cause) {
        this(reasonCode, message, null, null, cause);
    }

    public PermanentFailure(String reasonCode, String message, String tenant, String trackingId, Throwable cause) {
        super(reasonCode, message, tenant, trackingId, cause);
    }
}
