package io.github.meterstream.core.event;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.source.SourceCoordinates;
import java.time.Duration;

/**
 * Hears what a {@link ConsumerPipeline} does with each message and with its source, so that a
 * plugin can feed metrics, health checks and status pages. Methods are called on pipeline and
 * source threads, must be quick, and must not throw (an exception is logged and ignored).
 * Every method has an empty default.
 */
public interface PipelineListener {

    /** A message arrived from the source. */
    default void onReceived(SourceCoordinates coordinates) {
    }

    /** The handler processed the message and it was acknowledged. */
    default void onProcessed(MessageEvent event) {
    }

    /**
     * The message was recognised as a duplicate (by the idempotency store, or because the
     * downstream already had it) and acknowledged without being processed again.
     */
    default void onDuplicate(MessageEvent event) {
    }

    /** A transient failure: the message will be tried again after {@code delay}. */
    default void onRetried(MessageEvent event, Duration delay, Throwable cause) {
    }

    /** The message was dead-lettered and the broker confirmed it. */
    default void onDeadLettered(MessageEvent event, DeadLetterEnvelope envelope) {
    }

    /**
     * The source was paused for a new reason ({@code reason} says which: back-pressure, circuit
     * open, failed, closing); it may already have been paused for another one.
     */
    default void onPaused(String source, String reason) {
    }

    /** The source was resumed: no reason to pause is left. */
    default void onResumed(String source) {
    }
}
