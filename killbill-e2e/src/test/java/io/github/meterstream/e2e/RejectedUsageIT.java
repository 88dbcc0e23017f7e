package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Rejected usage in Kill Bill's own database, read over {@code /plugins/meterstream/rejections} on a real Kill Bill
 * 0.22: two tenants each send usage for a unit missing from their catalog; each tenant lists only its own
 * rejections, a wrong secret gets 401, an admin sees both, and a discard is kept with who did it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Rejected usage listed over REST in a real Kill Bill 0.22, tenant-scoped")
class RejectedUsageIT {
    static final String SOURCE = "usage";
    static final String MISSING_UNIT = "not-in-catalog";
    static final ObjectMapper JSON = new ObjectMapper();

    RabbitMqBroker rabbit;
    KillbillServer server;
    KillbillClient admin;
    KillbillClient anonymous;
    ScenarioTenant t1;
    ScenarioTenant t2;

    @BeforeAll
    void start() throws Exception {
        rabbit = new RabbitMqBroker("meterstream-e2e-rejections");
        rabbit.start();
        server = Meterstream.server("rejections", SOURCE, rabbit.sourceConfig())
                .database(KillbillServer.Database.POSTGRESQL).build().start();
        admin = server.adminClient();
        anonymous = KillbillClient.anonymous(server.baseUri());
        Meterstream.awaitSourceConnected(admin, SOURCE, Duration.ofSeconds(90));
        t1 = ScenarioTenant.create(admin, "rej-t1");
        t2 = ScenarioTenant.create(admin, "rej-t2");
        rabbit.publish(t1.subscriptionId.toString(), t1.usage("rej-t1-1", MISSING_UNIT, 3));
        rabbit.publish(t2.subscriptionId.toString(), t2.usage("rej-t2-1", MISSING_UNIT, 4));
        for (ScenarioTenant t : List.of(t1, t2)) {
            await("rejection of " + t.tenantId + " stored").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> rejections(tenant(t), "").size() == 1);
        }
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (rabbit != null) {
                rabbit.close();
            }
        }
    }

    KillbillClient tenant(ScenarioTenant t) {
        return anonymous.forTenant(t.apiKey(), t.apiSecret());
    }

    static JsonNode json(KillbillClient.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + r, e);
        }
    }

    static List<JsonNode> rejections(KillbillClient client, String query) {
        KillbillClient.Response r = client.pluginGet(Meterstream.PLUGIN, "rejections" + query);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<JsonNode> rows = new ArrayList<>();
        json(r).path("rejections").forEach(rows::add);
        return rows;
    }

    @Test
    @DisplayName("each tenant lists only its own rejection, UNIT_NOT_IN_PLAN, and reads it with its payload; the other's is 404")
    void tenantsSeeTheirOwn() {
        for (ScenarioTenant[] pair : List.of(new ScenarioTenant[] {t1, t2}, new ScenarioTenant[] {t2, t1})) {
            ScenarioTenant seen = pair[0];
            ScenarioTenant hidden = pair[1];
            List<JsonNode> rows = rejections(tenant(seen), "?reason=UNIT_NOT_IN_PLAN");
            assertThat(rows).hasSize(1);
            JsonNode row = rows.get(0);
            assertThat(row.path("tenant").asText()).isEqualTo(seen.tenantId.toString());
            assertThat(row.path("reasonCode").asText()).isEqualTo("UNIT_NOT_IN_PLAN");
            assertThat(row.path("subject").asText()).isEqualTo(seen.subscriptionId.toString());
            assertThat(row.has("payload")).isFalse();

            KillbillClient.Response one = tenant(seen).pluginGet(Meterstream.PLUGIN, "rejections/" + row.path("id").asText());
            assertThat(one.status()).as(one.toString()).isEqualTo(200);
            assertThat(json(one).path("payload").asText()).contains(MISSING_UNIT);

            String othersId = rejections(admin, "?tenant=" + hidden.tenantId).get(0).path("id").asText();
            KillbillClient.Response other = tenant(seen).pluginGet(Meterstream.PLUGIN, "rejections/" + othersId);
            assertThat(other.status()).as(other.toString()).isEqualTo(404);
            assertThat(other.body()).doesNotContain(hidden.tenantId.toString());

            KillbillClient.Response counts = tenant(seen).pluginGet(Meterstream.PLUGIN, "rejections/counts");
            assertThat(counts.status()).as(counts.toString()).isEqualTo(200);
            assertThat(json(counts).path("byReason").path("UNIT_NOT_IN_PLAN").asLong()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("a wrong ApiSecret or no credentials: 401 and nothing listed")
    void wrongSecret() {
        KillbillClient.Response r = anonymous.forTenant(t1.apiKey(), "not-" + t1.apiSecret()).pluginGet(Meterstream.PLUGIN, "rejections");
        assertThat(r.status()).as(r.toString()).isEqualTo(401);
        assertThat(r.body()).doesNotContain(t1.tenantId.toString()).doesNotContain("rejections\"");
        assertThat(anonymous.pluginGet(Meterstream.PLUGIN, "rejections").status()).isEqualTo(401);
    }

    @Test
    @DisplayName("an admin sees both tenants' rejections")
    void adminSeesBoth() {
        List<String> tenants = new ArrayList<>();
        rejections(admin, "?reason=UNIT_NOT_IN_PLAN").forEach(row -> tenants.add(row.path("tenant").asText()));
        assertThat(tenants).contains(t1.tenantId.toString(), t2.tenantId.toString());
    }

    @Test
    @DisplayName("a tenant discards its rejection: kept as DISCARDED by that tenant; it cannot discard the other tenant's")
    void discard() {
        String mine = rejections(tenant(t2), "").get(0).path("id").asText();
        String others = rejections(admin, "?tenant=" + t1.tenantId).get(0).path("id").asText();

        KillbillClient.Response refused = tenant(t2).pluginPost(Meterstream.PLUGIN, "rejections/" + others + "/discard");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(404);

        KillbillClient.Response done = tenant(t2).pluginPost(Meterstream.PLUGIN, "rejections/" + mine + "/discard");
        assertThat(done.status()).as(done.toString()).isEqualTo(200);
        assertThat(json(done).path("state").asText()).isEqualTo("DISCARDED");
        assertThat(json(done).path("stateBy").asText()).isEqualTo("tenant " + t2.tenantId);
        assertThat(rejections(tenant(t2), "?state=DISCARDED")).hasSize(1);
        assertThat(rejections(admin, "?tenant=" + t1.tenantId + "&state=REJECTED")).hasSize(1);
    }
}
