package io.github.meterstream.core.pipeline.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: initial * multiplier^(attempt-1), capped, randomly shortened. */
public final class Backoff {

    private final Duration initial;
    private final double multiplier;
    private final Duration max;
    private final double jitter;

    public Backoff(Duration initial, double multiplier, Duration max, double jitter) {
        this.initial = initial;
        this.multiplier = multiplier;
        this.max = max;
        this.jitter = jitter;
    }

    /** The delay before retry number {@code attempt} (1 for the first retry). */
    public Duration delay(int attempt) {
        double ms = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        ms = Math.min(ms, max.toMillis());
        // Shortening (never lengthening) keeps the cap a real upper bound.
        ms = ms * (1.0 - jitter * ThreadLocalRandom.current().nextDouble());
        return Duration.ofMillis(Math.max(1L, (long) ms));
    }
}
