package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Experiment (not an *IT, run with -Dit.test=TwoServersAtOnce): two Kill Bill JVMs at once on this machine.
 * Both bind RMI 1099 (hard-coded JNDIManager, failure ignored) and, on H2, the H2 console on 8082 (clash ignored).
 */
@DisplayName("Two Kill Bill servers at once")
class TwoServersAtOnce {
    private static final Logger LOG = LoggerFactory.getLogger(TwoServersAtOnce.class);

    @Test
    @DisplayName("both become healthy and serve tenants independently")
    void twoServers() {
        try (KillbillServer a = KillbillServer.builder("node-a").build().start();
             KillbillServer b = KillbillServer.builder("node-b").database(KillbillServer.Database.POSTGRESQL).build().start()) {
            LOG.info("TIMING two servers: a {} ms, b {} ms", a.startTime().toMillis(), b.startTime().toMillis());
            UUID ta = a.adminClient().createTenant("two-a", "secret-a", "two-a");
            UUID tb = b.adminClient().createTenant("two-b", "secret-b", "two-b");
            assertThat(ta).isNotEqualTo(tb);
            assertThat(a.adminClient().isHealthy()).isTrue();
            assertThat(b.adminClient().isHealthy()).isTrue();
            b.restart();
            assertThat(a.adminClient().isHealthy()).isTrue();
            assertThat(b.adminClient().isHealthy()).isTrue();
            String bLog = b.consoleText();
            LOG.info("node-b log lines mentioning 1099/RMI/JNDI: {}", bLog.lines()
                    .filter(l -> l.contains("1099") || l.contains("RMI") || l.contains("JNDI") || l.contains("jndi"))
                    .map(l -> l.length() > 300 ? l.substring(0, 300) : l).limit(10).toList());
        }
    }
}
