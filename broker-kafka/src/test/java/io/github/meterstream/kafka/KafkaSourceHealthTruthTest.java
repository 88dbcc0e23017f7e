package io.github.meterstream.kafka;

import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceHealth;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The health answers an operator got wrong before (issue 13), against a real broker whose
 * auto-creation of topics is off, as production clusters often run.
 */
@DisplayName("Kafka source health tells the truth")
class KafkaSourceHealthTruthTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.ownBroker(Map.of("auto.create.topics.enable", "false"));

    private static KafkaSource source(String bootstrapServers, String topic) {
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", bootstrapServers);
        c.put("topics", topic);
        c.put("group-id", topic + "-group");
        c.put("poll-timeout", "50ms");
        return new KafkaSource("usage", KafkaSourceConfig.from(ConfigValues.of(PREFIX, c)));
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    @DisplayName("pointed at a closed port: CONNECTING since its start, not reset by each attempt, naming bootstrap-servers")
    void closedPort() throws Exception {
        String servers = "127.0.0.1:" + freePort();
        KafkaSource source = source(servers, "anything");
        try {
            source.start(m -> { });
            Instant since = source.health().since();
            // one attempt waits 5 s for an answer; the detail names the key within two of them
            await().atMost(Duration.ofSeconds(20)).until(() -> source.health().detail().contains("no Kafka broker answered"));
            SourceHealth h = source.health();
            assertThat(h.state()).isEqualTo(SourceHealth.State.CONNECTING);
            assertThat(h.detail()).startsWith(PREFIX + "bootstrap-servers=" + servers + ": ");
            assertThat(h.lag()).as("nothing is known about the lag").isNull();
            // later attempts keep the since of the first
            await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ofSeconds(6)).until(() -> true);
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTING);
            assertThat(source.health().since()).isEqualTo(since);
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }

    @Test
    @DisplayName("subscribed to a topic that does not exist: missingDestinations names it within 15 s, and clears within 30 s"
            + " of its creation")
    void missingTopic() throws Exception {
        KafkaSource source = source(KAFKA.bootstrapServers(), "not-created-yet");
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        try {
            source.start(got::add);
            await().atMost(Duration.ofSeconds(15)).until(() -> source.health().missingDestinations().equals(List.of("not-created-yet")));
            assertThat(source.health().toString()).contains("not-created-yet");

            KAFKA.createTopic("not-created-yet", 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> source.health().missingDestinations().isEmpty());
            KAFKA.publish("not-created-yet", "k", "now it exists".getBytes(StandardCharsets.UTF_8), Map.of());
            await().atMost(Duration.ofSeconds(60)).until(() -> !got.isEmpty());
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }

    @Test
    @DisplayName("started on a backlog: lag is unknown until it is known, never 0 while messages wait, then the number waiting")
    void backlogLag() throws Exception {
        int backlog = 2000;
        KAFKA.createTopic("backlog", 2);
        for (int i = 0; i < backlog; i++) {
            KAFKA.publishAsync("backlog", "k" + i, ("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        KAFKA.flush();
        KafkaSource source = source(KAFKA.bootstrapServers(), "backlog");
        List<Long> lagsSeen = new CopyOnWriteArrayList<>();
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        source.pause(); // nothing is handed over: every message keeps waiting for this source
        try {
            source.start(got::add);
            assertThat(source.health().lag()).as("before the group assigned anything").isNull();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> {
                SourceHealth h = source.health();
                if (h.isConnected()) {
                    lagsSeen.add(h.lag());
                }
                return Long.valueOf(backlog).equals(h.lag());
            });
            assertThat(lagsSeen).as("lags reported while connected with %d messages waiting", backlog)
                    .allMatch(l -> l == null || l == backlog);
            assertThat(got).isEmpty();

            source.resume();
            await().atMost(Duration.ofSeconds(60)).until(() -> got.size() == backlog);
            got.forEach(InboundMessage::ack);
            await().atMost(Duration.ofSeconds(30)).until(() -> Long.valueOf(0L).equals(source.health().lag()));
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }
}
