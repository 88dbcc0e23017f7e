package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.MeterstreamHealthcheck;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Health and status when the plugin's configuration could not be read")
class MeterstreamStatusTest {

    static final String P = MeterstreamConfigProperties.PREFIX;
    static final String ERROR = P + "health.max-paused: must not be negative, was '-1s'";

    static MeterstreamStatus status(boolean sourceOptedIn) {
        return new MeterstreamStatus(KillbillLines.detect(), () -> null, () -> ERROR, () -> sourceOptedIn);
    }

    @Test
    @DisplayName("nothing started: DEGRADED with the key, Kill Bill's healthcheck stays healthy unless a source opted in")
    void configurationError() {
        assertThat(status(false).health().healthy()).isFalse();
        assertThat(status(false).health().message()).isEqualTo(ERROR);
        assertThat(new MeterstreamHealthcheck(status(false)::health).getHealthStatus(null, Map.of()).isHealthy()).isTrue();
        assertThat(new MeterstreamHealthcheck(status(true)::health).getHealthStatus(null, Map.of()).isHealthy()).isFalse();
        assertThat(status(false).status(null)).containsEntry("startupError", ERROR).containsEntry("healthy", false)
                .containsEntry("failsKillbillHealthcheck", false).containsEntry("sources", Map.of());
    }

    @Test
    @DisplayName("a source opts in by its own key, read without the rest of the configuration")
    void optInReadFromRawProperties() {
        Properties p = new Properties();
        p.setProperty(P + "health.max-paused", "-1s");
        p.setProperty(P + "sources.usage.health.fail-killbill-healthcheck", "false");
        assertThat(MeterstreamConfigProperties.anySourceFailsKillbillHealthcheck(p)).isFalse();
        p.setProperty(P + "sources.billing.health.fail-killbill-healthcheck", " TRUE ");
        assertThat(MeterstreamConfigProperties.anySourceFailsKillbillHealthcheck(p)).isTrue();
    }
}
