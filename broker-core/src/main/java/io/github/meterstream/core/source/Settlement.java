package io.github.meterstream.core.source;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import java.time.Duration;
import java.util.Objects;

/**
 * What should happen to a delivered message: exactly one settlement is given per message. See
 * {@link BrokerSource} for what each kind guarantees.
 */
public final class Settlement {

    /** The three ways a message can be settled. */
    public enum Kind {
        /** Done: never deliver again. */
        ACK,
        /** Deliver again after {@link Settlement#delay()}, with the attempt count one higher. */
        RETRY,
        /** Publish to the dead-letter destination with {@link Settlement#envelope()}, then remove. */
        DEAD_LETTER
    }

    private static final Settlement ACK = new Settlement(Kind.ACK, Duration.ZERO, null);

    private final Kind kind;
    private final Duration delay;
    private final DeadLetterEnvelope envelope;

    private Settlement(Kind kind, Duration delay, DeadLetterEnvelope envelope) {
        this.kind = kind;
        this.delay = delay;
        this.envelope = envelope;
    }

    public static Settlement ack() {
        return ACK;
    }

    public static Settlement retryAfter(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("retry delay must not be negative: " + delay);
        }
        return new Settlement(Kind.RETRY, delay, null);
    }

    public static Settlement deadLetter(DeadLetterEnvelope envelope) {
        return new Settlement(Kind.DEAD_LETTER, Duration.ZERO, Objects.requireNonNull(envelope, "envelope"));
    }

    public Kind kind() {
        return kind;
    }

    /** The retry delay; zero for the other kinds. */
    public Duration delay() {
        return delay;
    }

    /** The envelope of a dead-letter settlement, {@code null} for the other kinds. */
    public DeadLetterEnvelope envelope() {
        return envelope;
    }

    @Override
    public String toString() {
        switch (kind) {
            case RETRY:
                return "RETRY after " + delay;
            case DEAD_LETTER:
                return "DEAD_LETTER " + envelope.reasonCode();
            default:
                return "ACK";
        }
    }
}
