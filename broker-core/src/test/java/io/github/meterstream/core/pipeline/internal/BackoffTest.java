package io.github.meterstream.core.pipeline.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Backoff")
class BackoffTest {

    @Test
    @DisplayName("without jitter each retry waits multiplier times longer, up to the maximum")
    void growsToTheMaximum() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30), 0.0);
        assertThat(backoff.delay(1)).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.delay(2)).isEqualTo(Duration.ofMillis(400));
        assertThat(backoff.delay(8)).isEqualTo(Duration.ofMillis(25_600));
        assertThat(backoff.delay(9)).isEqualTo(Duration.ofSeconds(30));
        assertThat(backoff.delay(10_000)).as("no overflow far past the maximum").isEqualTo(Duration.ofSeconds(30));
    }

    @RepeatedTest(20)
    @DisplayName("jitter only shortens a delay, by at most its fraction, so the maximum stays a real upper bound")
    void jitterShortensOnly() {
        Backoff backoff = new Backoff(Duration.ofMillis(1000), 2.0, Duration.ofMillis(3000), 0.2);
        assertThat(backoff.delay(1).toMillis()).isBetween(800L, 1000L);
        assertThat(backoff.delay(5).toMillis()).isBetween(2400L, 3000L);
    }

    @Test
    @DisplayName("a delay is never zero, even for a tiny initial delay with full jitter")
    void neverZero() {
        Backoff backoff = new Backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1), 1.0);
        for (int i = 0; i < 100; i++) {
            assertThat(backoff.delay(1)).isPositive();
        }
    }
}
