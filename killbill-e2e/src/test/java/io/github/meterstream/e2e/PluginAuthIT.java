package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Who sees what on {@code /plugins/meterstream/status} and {@code /healthcheck} in a real Kill Bill 0.22, which
 * lets every {@code /plugins/*} request through (wrong tenant secret: no tenant; wrong or no Basic credentials:
 * anonymous; {@code skipAuthForPlugins=true} as in production). Two tenants, T1 and T2, each with usage
 * recorded through a RabbitMQ source, so that each one's id shows in the views that may show it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Plugin REST auth in a real Kill Bill 0.22: tenant credentials, admin Basic, anonymous")
class PluginAuthIT {
    static final String SOURCE = "usage";
    static final ObjectMapper JSON = new ObjectMapper();

    RabbitMqBroker rabbit;
    KillbillServer server;
    KillbillClient admin;
    KillbillClient anonymous;
    ScenarioTenant t1;
    ScenarioTenant t2;

    @BeforeAll
    void start() throws Exception {
        rabbit = new RabbitMqBroker("meterstream-e2e-auth");
        rabbit.start();
        server = Meterstream.server("plugin-auth", SOURCE, rabbit.sourceConfig())
                .database(KillbillServer.Database.POSTGRESQL).build().start();
        admin = server.adminClient();
        anonymous = KillbillClient.anonymous(server.baseUri());
        Meterstream.awaitSourceConnected(admin, SOURCE, Duration.ofSeconds(90));
        t1 = ScenarioTenant.create(admin, "auth-t1");
        t2 = ScenarioTenant.create(admin, "auth-t2");
        rabbit.publish(t1.subscriptionId.toString(), t1.usage("auth-t1-1", UsageCatalog.API_CALL, 3));
        rabbit.publish(t2.subscriptionId.toString(), t2.usage("auth-t2-1", UsageCatalog.API_CALL, 4));
        for (ScenarioTenant t : List.of(t1, t2)) {
            await("usage of " + t.tenantId + " recorded").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> Meterstream.tenantCounts(admin, SOURCE, t.tenantId).path("recorded").asLong() >= 1);
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

    KillbillClient.Response status(KillbillClient client, String query) {
        return client.pluginGet(Meterstream.PLUGIN, "status" + query);
    }

    static JsonNode json(KillbillClient.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + r, e);
        }
    }

    /** 200, the view of {@code seen} with its recorded usage, and nothing naming {@code hidden}. */
    void assertTenantView(KillbillClient.Response r, ScenarioTenant seen, ScenarioTenant hidden) {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.path("tenant").asText()).isEqualTo(seen.tenantId.toString());
        assertThat(body.path("sources").path(SOURCE).path("counts").path("recorded").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(r.body()).doesNotContain(hidden.tenantId.toString());
    }

    void assertRefused(KillbillClient.Response r, int status) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.body()).doesNotContain(t1.tenantId.toString()).doesNotContain(t2.tenantId.toString())
                .doesNotContain("\"sources\"");
    }

    @Test
    @DisplayName("1. a tenant's key and secret, no Basic credentials: that tenant's view only")
    void tenantCredentials() {
        assertTenantView(status(anonymous.forTenant(t1.apiKey(), t1.apiSecret()), ""), t1, t2);
    }

    @Test
    @DisplayName("2-4. a wrong secret or an unknown key: 401, also with valid admin Basic credentials")
    void wrongTenantCredentials() {
        assertRefused(status(anonymous.forTenant(t1.apiKey(), "not-" + t1.apiSecret()), ""), 401);
        assertRefused(status(anonymous.forTenant("no-such-key", t1.apiSecret()), ""), 401);
        assertRefused(status(admin.forTenant(t1.apiKey(), "not-" + t1.apiSecret()), ""), 401);
    }

    @Test
    @DisplayName("5, 11. no credentials: 401, also when ?tenant= names a tenant")
    void anonymousCaller() {
        assertRefused(status(anonymous, ""), 401);
        assertRefused(status(anonymous, "?tenant=" + t2.tenantId), 401);
    }

    @Test
    @DisplayName("6, 7. admin Basic credentials: every tenant, or the one ?tenant= names")
    void admin() {
        KillbillClient.Response all = status(admin, "");
        assertThat(all.status()).as(all.toString()).isEqualTo(200);
        JsonNode tenants = json(all).path("sources").path(SOURCE).path("tenants");
        assertThat(tenants.has(t1.tenantId.toString())).as(all.body()).isTrue();
        assertThat(tenants.has(t2.tenantId.toString())).as(all.body()).isTrue();
        assertTenantView(status(admin, "?tenant=" + t2.tenantId), t2, t1);
    }

    @Test
    @DisplayName("8. a wrong admin password: 401")
    void wrongAdminPassword() {
        assertRefused(status(new KillbillClient(server.baseUri(), "admin", "not-the-password"), ""), 401);
    }

    @Test
    @DisplayName("9. a Kill Bill user without tenant:create: 403")
    void userWithoutAdminPermission() {
        String suffix = Long.toHexString(System.nanoTime());
        admin.createRole("accounts-" + suffix, List.of("account:*"));
        admin.createUser("clerk-" + suffix, "clerk-password", List.of("accounts-" + suffix));
        assertRefused(status(new KillbillClient(server.baseUri(), "clerk-" + suffix, "clerk-password"), ""), 403);
    }

    @Test
    @DisplayName("10. a tenant asking ?tenant= for another tenant still gets its own view")
    void tenantAskingForAnother() {
        assertTenantView(status(anonymous.forTenant(t1.apiKey(), t1.apiSecret()), "?tenant=" + t2.tenantId), t1, t2);
    }

    @Test
    @DisplayName("healthcheck: anonymous callers get the code and healthy only; tenants and admins the details")
    void healthcheck() {
        KillbillClient.Response open = anonymous.pluginGet(Meterstream.PLUGIN, "healthcheck");
        assertThat(open.status()).as(open.toString()).isEqualTo(200);
        assertThat(json(open).path("healthy").asBoolean()).isTrue();
        assertThat(json(open).size()).as(open.body()).isEqualTo(1);
        for (KillbillClient caller : List.of(admin, anonymous.forTenant(t1.apiKey(), t1.apiSecret()))) {
            KillbillClient.Response detailed = caller.pluginGet(Meterstream.PLUGIN, "healthcheck");
            assertThat(detailed.status()).as(detailed.toString()).isEqualTo(200);
            assertThat(json(detailed).has(SOURCE)).as(detailed.body()).isTrue();
            assertThat(json(detailed).has("message")).as(detailed.body()).isTrue();
        }
    }
}
