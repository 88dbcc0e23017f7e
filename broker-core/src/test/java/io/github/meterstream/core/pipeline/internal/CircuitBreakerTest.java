package io.github.meterstream.core.pipeline.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("CircuitBreaker")
class CircuitBreakerTest {

    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(1), Duration.ofSeconds(5));

    @Test
    @DisplayName("opens at the threshold of consecutive failures, not before, and a success in between starts the count again")
    void opensAtThreshold() {
        assertThat(breaker.onFailure()).isNull();
        assertThat(breaker.onFailure()).isNull();
        breaker.onSuccess();
        assertThat(breaker.onFailure()).isNull();
        assertThat(breaker.onFailure()).isNull();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);

        assertThat(breaker.onFailure()).isEqualTo(Duration.ofSeconds(1));
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    @DisplayName("each failed probe doubles the wait up to the maximum; a successful probe closes it and resets the wait")
    void failedProbesBackOff() {
        open();
        assertThat(probeFails()).isEqualTo(Duration.ofSeconds(2));
        assertThat(probeFails()).isEqualTo(Duration.ofSeconds(4));
        assertThat(probeFails()).isEqualTo(Duration.ofSeconds(5));
        assertThat(probeFails()).isEqualTo(Duration.ofSeconds(5));

        breaker.halfOpen();
        assertThat(breaker.onSuccess()).as("the success closed a circuit that was not closed").isTrue();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.onSuccess()).isFalse();
        assertThat(open()).as("the wait starts again from the initial one").isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    @DisplayName("closed tentatively with nothing to probe, one more failure reopens it at once")
    void tentativeCloseReopensOnNextFailure() {
        open();
        breaker.halfOpen();
        breaker.closeTentatively();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.onFailure()).isNotNull();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    @DisplayName("half-open is reached only from open")
    void halfOpenOnlyFromOpen() {
        breaker.halfOpen();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        open();
        breaker.halfOpen();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    }

    private Duration open() {
        Duration wait = null;
        while (wait == null) {
            wait = breaker.onFailure();
        }
        return wait;
    }

    private Duration probeFails() {
        breaker.halfOpen();
        return breaker.onFailure();
    }
}
