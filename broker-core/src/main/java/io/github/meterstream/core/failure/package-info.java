/**
 * Failure routing: what a failed message becomes. A handler or validator throws a typed failure:
 * {@link io.github.meterstream.core.failure.TransientFailure} (retry with backoff; many in a row open
 * the circuit and pause the source), {@link io.github.meterstream.core.failure.HeldFailure} (wait,
 * without blaming the downstream) or {@link io.github.meterstream.core.failure.PermanentFailure}
 * (dead-letter at once). {@link io.github.meterstream.core.failure.FailurePolicy} bounds the retries,
 * and a message that is given up on leaves with a {@link
 * io.github.meterstream.core.failure.DeadLetterEnvelope}: the reason code ({@link
 * io.github.meterstream.core.failure.ReasonCodes}) and a text a person can act on.
 */
package io.github.meterstream.core.failure;
