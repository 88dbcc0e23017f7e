package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;

/** What a handler or validator may know about the delivery of the message it works on. */
public interface MessageContext {

    SourceCoordinates coordinates();

    /** The broker's delivery attempt (1 first), see {@link InboundMessage#deliveryAttempt()}. */
    int deliveryAttempt();

    /** How many times the pipeline has run this delivery so far, including this run (1 first). */
    int pipelineAttempt();

    /** The message's headers. */
    java.util.Map<String, String> headers();

    /**
     * False when the pipeline knows that no earlier attempt at this message's idempotency key can
     * have reached the handler's downstream: the claim was fresh (no row existed for the key), so
     * whatever the downstream already holds under the same id was written by someone else. True
     * when an earlier claim was taken over (expired, or abandoned by a crashed or failed attempt of
     * this node), and when the message has no idempotency key: then "already there" may be this
     * message's own earlier write. A handler uses it to tell a conflicting reuse of an id from its
     * own retry (Kill Bill's "tracking id already exists" answer, for one).
     */
    default boolean earlierAttemptMayHaveWritten() {
        return true;
    }
}
