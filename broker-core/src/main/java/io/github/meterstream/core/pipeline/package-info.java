/**
 * The pipeline: the second step of a message, after {@code core.source}. {@link
 * io.github.meterstream.core.pipeline.ConsumerPipeline} takes each raw message from a source and runs
 * it through decode ({@link io.github.meterstream.core.pipeline.MessageContract}) -> validate (Bean
 * Validation, then a {@link io.github.meterstream.core.pipeline.BusinessValidator}) -> deduplicate
 * ({@code core.idempotency}) -> handle ({@link io.github.meterstream.core.pipeline.MessageHandler}),
 * keeping order per key, and settles it. What a failure becomes is decided in {@code core.failure};
 * what happened is told to listeners in {@code core.event}.
 */
package io.github.meterstream.core.pipeline;
