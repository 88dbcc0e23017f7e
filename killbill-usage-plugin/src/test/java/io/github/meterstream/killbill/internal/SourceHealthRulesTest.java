package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.github.meterstream.core.pipeline.ConsumerPipeline.State.CIRCUIT_OPEN;
import static io.github.meterstream.core.pipeline.ConsumerPipeline.State.CLOSED;
import static io.github.meterstream.core.pipeline.ConsumerPipeline.State.FAILED;
import static io.github.meterstream.core.pipeline.ConsumerPipeline.State.RUNNING;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The health rules of one source")
class SourceHealthRulesTest {

    static final String P = MeterstreamConfigProperties.PREFIX;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    final SourceHealthRules rules = new SourceHealthRules(Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofMinutes(5),
            Duration.ofMinutes(4));

    static SourceHealth connection(SourceHealth.State state, String detail) {
        return SourceHealth.of(state, detail, T0);
    }

    static SourceHealthRules.Facts running(SourceHealth h) {
        return new SourceHealthRules.Facts(RUNNING, h, List.of(), null, null, null);
    }

    SourceHealthRules.Verdict at(SourceHealthRules.Facts f, Duration later) {
        return rules.evaluate(f, T0.plus(later));
    }

    @Test
    @DisplayName("a connected, running source with nothing unsettled is healthy")
    void healthy() {
        assertThat(at(running(connection(SourceHealth.State.CONNECTED, "")), Duration.ofHours(1)).healthy()).isTrue();
    }

    @Test
    @DisplayName("a source that never connected is degraded once health.max-connecting has passed, with the connection error")
    void connectingTooLong() {
        SourceHealthRules.Facts f = running(connection(SourceHealth.State.CONNECTING,
                P + "sources.usage.bootstrap-servers=127.0.0.1:1: connection refused"));
        assertThat(at(f, Duration.ofSeconds(29)).healthy()).isTrue();
        SourceHealthRules.Verdict v = at(f, Duration.ofSeconds(30));
        assertThat(v.name()).isEqualTo("DEGRADED");
        assertThat(v.reason).contains(P + "health.max-connecting=PT30S").contains(P + "sources.usage.bootstrap-servers=127.0.0.1:1");
    }

    @Test
    @DisplayName("a source whose start has not connected it yet counts as connecting")
    void notStartedCountsAsConnecting() {
        assertThat(at(running(connection(SourceHealth.State.NOT_STARTED, "")), Duration.ofSeconds(30)).reason)
                .contains("health.max-connecting");
    }

    @Test
    @DisplayName("a source disconnected longer than health.max-disconnected is degraded")
    void disconnectedTooLong() {
        SourceHealthRules.Facts f = running(connection(SourceHealth.State.DISCONNECTED, "connection lost"));
        assertThat(at(f, Duration.ofSeconds(9)).healthy()).isTrue();
        assertThat(at(f, Duration.ofSeconds(10)).reason).contains(P + "health.max-disconnected").contains("connection lost");
    }

    @Test
    @DisplayName("a destination the broker does not have makes the source degraded at once, naming it")
    void missingDestination() {
        SourceHealthRules.Facts f = new SourceHealthRules.Facts(RUNNING, connection(SourceHealth.State.CONNECTED, ""),
                List.of("usage-events"), null, null, null);
        assertThat(at(f, Duration.ZERO).reason).contains("usage-events");
    }

    @Test
    @DisplayName("a circuit open longer than health.max-paused is degraded, with the last error; shorter is not")
    void pausedTooLong() {
        SourceHealthRules.Facts f = new SourceHealthRules.Facts(CIRCUIT_OPEN, connection(SourceHealth.State.CONNECTED, ""),
                List.of(), T0, "Connection refused", T0);
        assertThat(at(f, Duration.ofMinutes(3)).healthy()).isTrue();
        assertThat(at(f, Duration.ofMinutes(5)).reason).contains("circuit open").contains(P + "health.max-paused")
                .contains("Connection refused");
    }

    @Test
    @DisplayName("a source stopped by fail-stop is degraded")
    void failStop() {
        SourceHealthRules.Facts f = new SourceHealthRules.Facts(FAILED, connection(SourceHealth.State.CONNECTED, ""),
                List.of(), T0, "UNIT_NOT_IN_PLAN", null);
        assertThat(at(f, Duration.ofMinutes(5)).reason).contains("fail-stop").contains("UNIT_NOT_IN_PLAN");
    }

    @Test
    @DisplayName("a message unsettled longer than health.max-unsettled makes a running, connected source degraded")
    void unsettledTooLong() {
        SourceHealthRules.Facts f = new SourceHealthRules.Facts(RUNNING, connection(SourceHealth.State.CONNECTED, ""),
                List.of(), null, "another consumer holds the claim", T0);
        assertThat(at(f, Duration.ofMinutes(3)).healthy()).isTrue();
        assertThat(at(f, Duration.ofMinutes(4)).reason).contains(P + "health.max-unsettled").contains("another consumer holds the claim");
    }

    @Test
    @DisplayName("a closed source is degraded")
    void closed() {
        assertThat(rules.evaluate(new SourceHealthRules.Facts(CLOSED, connection(SourceHealth.State.CLOSED, ""), List.of(), null,
                null, null), T0).reason).contains("closed");
    }

    @Test
    @DisplayName("a source that could not start is degraded with its error")
    void failedToStart() {
        assertThat(SourceHealthRules.failedToStart(P + "sources.bad.type: unknown").toString())
                .isEqualTo("DEGRADED: could not start: " + P + "sources.bad.type: unknown");
    }
}
