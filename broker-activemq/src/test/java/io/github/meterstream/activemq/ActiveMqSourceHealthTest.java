package io.github.meterstream.activemq;

import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.source.SourceHealth;
import org.apache.activemq.broker.BrokerPlugin;
import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.broker.BrokerFilter;
import org.apache.activemq.broker.ConnectionContext;
import org.apache.activemq.command.ConnectionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("ActiveMQ source health tells the truth")
class ActiveMqSourceHealthTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";
    private static final String SECRET = "s3cret-pw";

    private final List<ActiveMqSource> sources = new CopyOnWriteArrayList<>();
    private BrokerService secured;

    @AfterEach
    void tearDown() throws Exception {
        sources.forEach(s -> s.close(Duration.ofSeconds(2)));
        if (secured != null) {
            secured.stop();
            secured.waitUntilStopped();
        }
    }

    private ActiveMqSource source(Map<String, String> settings) {
        Map<String, String> c = new HashMap<>(Map.of("queue", "usage", "reconnect-delay", "500ms", "consumers", "3"));
        c.putAll(settings);
        ActiveMqSource s = new ActiveMqSource("usage", ActiveMqSourceConfig.from(ConfigValues.of(PREFIX, c)));
        sources.add(s);
        return s;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    @DisplayName("pointed at a closed port: CONNECTING since its start, not reset by each attempt, naming broker-url; lag unknown")
    void closedPort() throws Exception {
        String url = "tcp://127.0.0.1:" + freePort();
        ActiveMqSource source = source(Map.of("broker-url", url));
        source.start(m -> { });
        Instant since = source.health().since();
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().detail().contains("refused"));
        SourceHealth h = source.health();
        assertThat(h.state()).isEqualTo(SourceHealth.State.CONNECTING);
        assertThat(h.detail()).startsWith(PREFIX + "broker-url=" + url + ": ");
        assertThat(h.lag()).isNull();
        assertThat(h.missingDestinations()).as("queues are created by the broker on first use").isEmpty();
        // reconnect-delay is 500 ms: several more attempts by three consumers, the same since
        await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ofSeconds(2)).until(() -> true);
        assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTING);
        assertThat(source.health().since()).isEqualTo(since);
    }

    @Test
    @DisplayName("rejected credentials: CONNECTING naming username and password, never the password itself")
    void rejectedCredentials() throws Exception {
        secured = new BrokerService();
        secured.setPersistent(false);
        secured.setUseJmx(false);
        secured.setBrokerName("secured-" + System.nanoTime());
        // what an authentication plugin does, without the JAAS jar: refuse a connection with the wrong password
        secured.setPlugins(new BrokerPlugin[] {next -> new BrokerFilter(next) {
            @Override
            public void addConnection(ConnectionContext context, ConnectionInfo info) throws Exception {
                if (!"right-password".equals(info.getPassword())) {
                    throw new SecurityException("User name [" + info.getUserName() + "] or password is invalid.");
                }
                super.addConnection(context, info);
            }
        }});
        String url = "tcp://127.0.0.1:" + freePort();
        secured.addConnector(url);
        secured.start();
        secured.waitUntilStarted();

        ActiveMqSource source = source(Map.of("broker-url", url, "username", "meter", "password", SECRET));
        source.start(m -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().detail().contains("credentials rejected"));
        SourceHealth h = source.health();
        assertThat(h.state()).isEqualTo(SourceHealth.State.CONNECTING);
        assertThat(h.detail()).startsWith(PREFIX + "username=meter, " + PREFIX + "password: ").doesNotContain(SECRET);
    }
}
