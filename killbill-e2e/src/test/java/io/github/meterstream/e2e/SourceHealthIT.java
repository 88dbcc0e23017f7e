package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.github.meterstream.kafka.EmbeddedKafka;

/**
 * Sources in one real Kill Bill 0.22: {@code usage} on the local RabbitMQ, {@code lost}, a Kafka source
 * pointed at a closed port, and (first test) {@code missing}, a Kafka source subscribed to a topic an
 * in-process broker without auto-create does not have. The valid one records usage; {@code /status} and
 * the plugin's healthcheck show the others DEGRADED, naming the bound and key, or the topic; Kill Bill's own
 * {@code /1.0/healthcheck} stays 200 by default and fails once the lost source opts in with
 * {@code health.fail-killbill-healthcheck=true} (one Kill Bill per configuration, PostgreSQL).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("Source health in a real Kill Bill 0.22: one source never connects, the other records usage")
class SourceHealthIT {
    static final String USAGE = "usage";
    static final String LOST = "lost";
    static final String MISSING = "missing";
    static final String NO_SUCH_TOPIC = "meterstream-e2e-no-such-topic";
    static final String P = Meterstream.PREFIX;
    // short, so that the test waits little; still above Kill Bill's start, which waits for a healthy /1.0/healthcheck
    static final String MAX_CONNECTING = "15s";

    RabbitMqBroker rabbit;
    // as production clusters often run: a topic nobody created does not appear because a consumer asked for it
    final EmbeddedKafka kafka = EmbeddedKafka.ownBroker(Map.of("auto.create.topics.enable", "false"));

    @BeforeAll
    void startBrokers() throws Exception {
        rabbit = new RabbitMqBroker("meterstream-e2e-health");
        rabbit.start();
        kafka.beforeAll(null);
    }

    @AfterAll
    void stopBrokers() throws Exception {
        try {
            kafka.stopBroker();
        } finally {
            if (rabbit != null) {
                rabbit.close();
            }
        }
    }

    KillbillServer.Builder twoSources(String name) {
        return Meterstream.server(name, USAGE, rabbit.sourceConfig())
                .property(P + "sources." + LOST + ".type", "kafka")
                .property(P + "sources." + LOST + ".bootstrap-servers", "127.0.0.1:1")
                .property(P + "sources." + LOST + ".topics", "usage")
                .property(P + "sources." + LOST + ".group-id", "meterstream-e2e-health")
                .property(P + "health.max-connecting", MAX_CONNECTING)
                .database(KillbillServer.Database.POSTGRESQL);
    }

    static JsonNode source(KillbillClient admin, String name) {
        return Meterstream.status(admin, null).path("sources").path(name);
    }

    @Test
    @Order(1)
    @DisplayName("by default: the valid source records, /status shows the lost one DEGRADED with its key and the other its missing topic, Kill Bill's healthcheck answers 200")
    void degradedSourceLeavesKillbillHealthy() throws Exception {
        try (KillbillServer server = twoSources("health-default")
                .property(P + "sources." + MISSING + ".type", "kafka")
                .property(P + "sources." + MISSING + ".bootstrap-servers", kafka.bootstrapServers())
                .property(P + "sources." + MISSING + ".topics", NO_SUCH_TOPIC)
                .property(P + "sources." + MISSING + ".group-id", "meterstream-e2e-health")
                .build().start()) {
            KillbillClient admin = server.adminClient();
            Meterstream.awaitSourceConnected(admin, USAGE, Duration.ofSeconds(90));
            ScenarioTenant t = ScenarioTenant.create(admin, "health");
            rabbit.publish(t.subscriptionId.toString(), t.usage("health-1", UsageCatalog.API_CALL, 5));

            await("usage recorded through the valid source").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> t.usageToday().equals(Map.of(UsageCatalog.API_CALL, 5L)));
            await("the lost source DEGRADED").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> "DEGRADED".equals(source(admin, LOST).path("health").asText()));

            JsonNode lost = source(admin, LOST);
            assertThat(lost.path("healthReason").asText()).contains(P + "health.max-connecting")
                    .contains(P + "sources." + LOST + ".bootstrap-servers");
            assertThat(lost.path("connection").asText()).isEqualTo("CONNECTING");
            assertThat(lost.path("lag").asText()).isEqualTo("unknown");
            assertThat(source(admin, USAGE).path("health").asText()).isEqualTo("HEALTHY");
            await("the source without its topic DEGRADED").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> "DEGRADED".equals(source(admin, MISSING).path("health").asText()));
            assertThat(source(admin, MISSING).path("healthReason").asText()).contains(NO_SUCH_TOPIC);
            assertThat(source(admin, MISSING).path("missingDestinations").toString()).contains(NO_SUCH_TOPIC);
            JsonNode status = Meterstream.status(admin, null);
            assertThat(status.path("healthy").asBoolean()).isFalse();
            assertThat(status.path("failsKillbillHealthcheck").asBoolean()).isFalse();

            assertThat(admin.isHealthy()).as("Kill Bill's /1.0/healthcheck").isTrue();
            KillbillClient.Response own = admin.pluginGet(Meterstream.PLUGIN, "healthcheck");
            assertThat(own.status()).as("the plugin's own healthcheck: " + own.body()).isEqualTo(503);
            assertThat(own.body()).contains(P + "sources." + LOST + ".bootstrap-servers");
        }
    }

    @Test
    @Order(2)
    @DisplayName("with health.fail-killbill-healthcheck=true on the lost source, Kill Bill's healthcheck turns unhealthy")
    void optedInSourceFailsKillbill() throws Exception {
        try (KillbillServer server = twoSources("health-opt-in")
                .property(P + "sources." + LOST + ".health.fail-killbill-healthcheck", "true").build().start()) {
            KillbillClient admin = server.adminClient();
            Meterstream.awaitSourceConnected(admin, USAGE, Duration.ofSeconds(90));

            await("Kill Bill's /1.0/healthcheck unhealthy").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !admin.isHealthy());
            assertThat(source(admin, LOST).path("health").asText()).isEqualTo("DEGRADED");
            assertThat(Meterstream.status(admin, null).path("failsKillbillHealthcheck").asBoolean()).isTrue();
        }
    }
}
