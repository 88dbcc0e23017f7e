package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;

/**
 * Does the work a message asks for: for usage, records it in Kill Bill. Runs on a pipeline worker
 * thread; messages with the same ordering key are never handled concurrently.
 *
 * <p>Throw {@link PermanentFailure} when the message can never succeed, {@link TransientFailure}
 * when the downstream is unavailable. Any other exception is unclassified: retried a few times,
 * then dead-lettered as {@link ReasonCodes#HANDLER_ERROR}.
 *
 * @param <T> the decoded message type
 */
@FunctionalInterface
public interface MessageHandler<T> {

    /** What the handler did. */
    enum Outcome {
        /** The work was done now. */
        PROCESSED,
        /** The downstream already had it (for Kill Bill: error 50000, tracking id exists). */
        ALREADY_PROCESSED
    }

    Outcome handle(T message, MessageContext context) throws Exception;
}
