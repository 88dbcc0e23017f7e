package io.github.meterstream.core.failure;

/**
 * A message that cannot go on yet for a reason of its own, not because the downstream is down:
 * its tenant's configuration is unusable right now, another consumer holds its claim. Like every
 * {@link TransientFailure} it is retried later and never dead-lettered; unlike one, it does not
 * count toward the circuit breaker, so one held tenant never pauses the source for every other
 * tenant.
 */
public class HeldFailure extends TransientFailure {

    private static final long serialVersionUID = 1L;

    public HeldFailure(String reasonCode, String message, String tenant, String trackingId, Throwable cause) {
        super(reasonCode, message, tenant, trackingId, cause);
    }
}
