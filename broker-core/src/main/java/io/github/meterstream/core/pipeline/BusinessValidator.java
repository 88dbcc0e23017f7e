package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.TransientFailure;

/**
 * A rule that Bean Validation annotations cannot express (it needs the record date and the
 * subscription together, or it asks the downstream). Runs after annotation validation and before
 * deduplication, on a worker thread, in key order.
 *
 * @param <T> the decoded message type
 */
@FunctionalInterface
public interface BusinessValidator<T> {

    /**
     * Returns normally when {@code message} is valid.
     *
     * @throws PermanentFailure when the message breaks the rule; its text says what to fix
     * @throws TransientFailure when the rule cannot be checked now (the downstream is down)
     */
    void validate(T message, MessageContext context);
}
