package io.github.meterstream.core.config;

import io.github.meterstream.core.pipeline.PipelineConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigKeyTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.pipeline.";

    @Test
    @DisplayName("a bad value fails naming the full key, the rule and the value")
    void badValueNamesKeyAndRule() {
        ConfigValues values = ConfigValues.of(PREFIX, Map.of("max-in-flight", "0"));
        assertThatThrownBy(() -> PipelineConfig.from(values))
                .isInstanceOf(ConfigException.class)
                .hasMessage(PREFIX + "max-in-flight: must be at least 1, was '0'")
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(PREFIX + "max-in-flight"));
    }

    @Test
    @DisplayName("a value of the wrong type fails naming the expected type")
    void wrongType() {
        ConfigValues values = ConfigValues.of(PREFIX, Map.of("retry.initial-delay", "soon"));
        assertThatThrownBy(() -> PipelineConfig.from(values))
                .hasMessage(PREFIX + "retry.initial-delay: must be a duration, was 'soon'");
    }

    @Test
    @DisplayName("durations are read as 500ms, 30s, 5m, 2h, 1d or ISO-8601")
    void durations() {
        assertThat(ConfigKey.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ConfigKey.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(ConfigKey.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(ConfigKey.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(ConfigKey.parseDuration("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(ConfigKey.parseDuration("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    @DisplayName("rules between keys are checked too")
    void crossKeyRule() {
        ConfigValues values = ConfigValues.of(PREFIX, Map.of("retry.initial-delay", "10s", "retry.max-delay", "1s"));
        assertThatThrownBy(() -> PipelineConfig.from(values))
                .hasMessageStartingWith(PREFIX + "retry.max-delay: must not be shorter than " + PREFIX + "retry.initial-delay");
    }

    @Test
    @DisplayName("an unknown failure policy fails listing the valid ones")
    void unknownPolicy() {
        ConfigValues values = ConfigValues.of(PREFIX, Map.of("failure-policy", "drop-it"));
        assertThatThrownBy(() -> PipelineConfig.from(values))
                .hasMessage(PREFIX + "failure-policy: must be one of dead-letter, fail-stop, was 'drop-it'");
    }

    @Test
    @DisplayName("a misspelt key is rejected with the list of valid keys")
    void unknownKey() {
        ConfigValues values = ConfigValues.of(PREFIX, Map.of("max-inflight", "10"));
        assertThatThrownBy(() -> values.requireOnlyKnownKeys(PipelineConfig.KEYS, List.of()))
                .hasMessageStartingWith(PREFIX + "max-inflight: is not a known key; valid keys here: ")
                .hasMessageContaining("max-in-flight");
    }

    @Test
    @DisplayName("unset keys take their named defaults")
    void defaults() {
        PipelineConfig config = PipelineConfig.from(ConfigValues.of(PREFIX, Map.of()));
        assertThat(config.maxInFlight()).isEqualTo(PipelineConfig.DEFAULT_MAX_IN_FLIGHT);
        assertThat(config.retryMaxDelay()).isEqualTo(PipelineConfig.DEFAULT_RETRY_MAX_DELAY);
        assertThat(config.failurePolicy()).isEqualTo("dead-letter");
    }

    @Test
    @DisplayName("a secret is never printed")
    void secretsMasked() {
        ConfigKey<String> password = ConfigKey.string("password", null, "Broker password.").secret();
        assertThat(password.printable("hunter2")).isEqualTo("******");
        assertThatThrownBy(() -> password.rule(p -> p.length() > 10, "must be longer than 10 characters")
                .parse("x.password", "hunter2"))
                .hasMessage("x.password: must be longer than 10 characters, was '******'");
    }

    @Test
    @DisplayName("a required key without a value fails saying what it is for")
    void required() {
        ConfigKey<String> queue = ConfigKey.string("queue", null, "Queue to consume.").required();
        assertThatThrownBy(() -> queue.parse("x.queue", "  "))
                .hasMessage("x.queue: is required (Queue to consume.)");
    }
}
