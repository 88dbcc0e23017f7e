package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.idempotency.IdempotencyKey;

import java.util.Optional;

/**
 * What a pipeline needs to know about one kind of message: how to decode it, which key orders it,
 * what makes two messages the same, and how to name it in logs and envelopes. Validation rules
 * live on {@code T} as Jakarta Bean Validation annotations and in {@link BusinessValidator}s.
 *
 * <p>{@link io.github.meterstream.core.usage.UsageMessageContract} is the contract for usage; a
 * consumer of other data writes its own (see {@code examples/}).
 *
 * @param <T> the decoded message type
 */
public interface MessageContract<T> {

    /**
     * Decodes the payload. Called on the source's delivery thread, so it must be quick and must not
     * block.
     *
     * @throws PermanentFailure with {@link ReasonCodes#MALFORMED_PAYLOAD} when the payload cannot
     *         be read; the message says where and why
     */
    T decode(InboundMessage message);

    /** Messages with equal keys are handled one at a time, in the order they were received. */
    String orderingKey(T message);

    /** The key that identifies this message for deduplication, or empty to skip deduplication. */
    Optional<IdempotencyKey> idempotencyKey(T message);

    /**
     * A hash of the message's meaningful content (not of its bytes: the same usage written with
     * its fields in another order is the same message).
     */
    String fingerprint(T message);

    /** The tenant the message names, for logs and envelopes, or {@code null}. */
    String tenant(T message);

    /** The message's tracking id, for logs and envelopes, or {@code null}. */
    String trackingId(T message);

    /**
     * What the message is about, as it names it (for usage, the subscription), kept with the copy a
     * {@link io.github.meterstream.core.deadletter.DeadLetterStore} holds so that rejections can be
     * found by it; {@code null} by default.
     */
    default String subject(T message) {
        return null;
    }
}
