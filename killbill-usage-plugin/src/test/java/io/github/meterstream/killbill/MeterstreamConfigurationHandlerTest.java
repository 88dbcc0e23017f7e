package io.github.meterstream.killbill;

import io.github.meterstream.killbill.fakes.Fake;
import io.github.meterstream.killbill.fakes.FakeKillbill;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.killbill.billing.notification.plugin.api.ExtBusEvent;
import org.killbill.billing.notification.plugin.api.ExtBusEventType;
import org.killbill.billing.osgi.libs.killbill.OSGIKillbillAPI;
import org.killbill.billing.plugin.api.notification.PluginConfigurationEventHandler;
import org.killbill.billing.tenant.api.TenantUserApi;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Per-tenant rules from uploadPluginConfig/meterstream")
class MeterstreamConfigurationHandlerTest {

    static final String KEY = "PLUGIN_CONFIG_meterstream";

    FakeKillbill kb;
    UUID tenant;
    MeterstreamConfigurationHandler handler;
    PluginConfigurationEventHandler events;

    @BeforeEach
    void setUp() {
        kb = new FakeKillbill();
        tenant = kb.tenant("key-t");
        OSGIKillbillAPI api = new OSGIKillbillAPI(Fake.of(org.osgi.framework.BundleContext.class,
                "createFilter", (Fake.Answer) a -> Fake.of(org.osgi.framework.Filter.class, "toString", a[0])) ) {
            @Override
            public TenantUserApi getTenantUserApi() {
                return kb.getTenantUserApi();
            }
        };
        Properties global = new Properties();
        global.setProperty(MeterstreamConfigProperties.PREFIX + "forward-dated-tolerance", "6h");
        global.setProperty(MeterstreamConfigProperties.PREFIX + "sources.usage.type", "in-memory");
        handler = new MeterstreamConfigurationHandler(api, MeterstreamConfigProperties.from(global).defaultTenantRules());
        events = new PluginConfigurationEventHandler(handler);
    }

    void upload(String text) {
        kb.tenantValue(tenant, KEY, text);
        events.handleKillbillEvent(event(text == null ? ExtBusEventType.TENANT_CONFIG_DELETION : ExtBusEventType.TENANT_CONFIG_CHANGE));
    }

    ExtBusEvent event(ExtBusEventType type) {
        return Fake.of(ExtBusEvent.class, "getEventType", type, "getMetaData", KEY, "getTenantId", tenant);
    }

    @Test
    @DisplayName("a tenant without plugin configuration gets the global rules")
    void defaults() {
        MeterstreamTenantRules r = handler.rulesFor(tenant);
        assertThat(r.forwardDatedTolerance()).isEqualTo(Duration.ofHours(6));
        assertThat(r.acceptLateUsage()).isFalse();
        assertThat(r.allowsSource("anything")).isTrue();
    }

    @Test
    @DisplayName("an uploaded configuration applies, with bare or prefixed keys; unset keys keep the global values")
    void uploaded() {
        kb.tenantValue(tenant, KEY, "late-usage-policy=accept\norg.killbill.billing.plugin.meterstream.sources=usage,backfill\n");
        MeterstreamTenantRules r = handler.rulesFor(tenant);
        assertThat(r.acceptLateUsage()).isTrue();
        assertThat(r.sources()).isEqualTo(List.of("usage", "backfill"));
        assertThat(r.forwardDatedTolerance()).isEqualTo(Duration.ofHours(6));
    }

    @Test
    @DisplayName("a change applies live when Kill Bill announces it")
    void changedLive() {
        handler.rulesFor(tenant);
        upload("forward-dated-tolerance=2d");
        assertThat(handler.rulesFor(tenant).forwardDatedTolerance()).isEqualTo(Duration.ofDays(2));
        upload("forward-dated-tolerance=3d");
        assertThat(handler.rulesFor(tenant).forwardDatedTolerance()).isEqualTo(Duration.ofDays(3));
    }

    @Test
    @DisplayName("a configuration deleted while running holds the tenant's usage until one is uploaded again, never opens every source")
    void deleted() {
        upload("sources=usage");
        assertThat(handler.rulesFor(tenant).allowsSource("backfill")).isFalse();
        upload(null);
        MeterstreamTenantRules r = handler.rulesFor(tenant);
        assertThat(r.holdReason()).contains("deleted").contains("upload");
        assertThat(handler.problems()).containsKey(tenant);
        // an empty upload is the explicit way back to the global rules
        upload("");
        assertThat(handler.rulesFor(tenant).holdReason()).isNull();
        assertThat(handler.rulesFor(tenant).allowsSource("backfill")).isTrue();
        assertThat(handler.problems()).isEmpty();
    }

    @Test
    @DisplayName("an invalid configuration (unknown key, bad value) holds the tenant's usage, naming the key, instead of applying the global rules")
    void invalid() {
        upload("sources=usage\nlate-usage-policy=sometimes");
        assertThat(handler.rulesFor(tenant).holdReason()).contains("late-usage-policy");
        upload("forward-dated-tolerence=2d");
        assertThat(handler.rulesFor(tenant).holdReason()).contains("forward-dated-tolerence");
        assertThat(handler.problems().get(tenant)).contains("forward-dated-tolerence");
        upload("forward-dated-tolerance=2d");
        assertThat(handler.rulesFor(tenant).holdReason()).isNull();
        assertThat(handler.rulesFor(tenant).forwardDatedTolerance()).isEqualTo(Duration.ofDays(2));
    }

    @Test
    @DisplayName("a failed read of the tenant's configuration is transient and is not taken for 'no configuration'")
    void readFailure() {
        kb.tenantValue(tenant, KEY, "sources=usage");
        // Kill Bill answers a failed read with TenantApiException, or a database error in a RuntimeException
        kb.tenantValuesFailNext.add(() -> new org.killbill.billing.tenant.api.TenantApiException(
                new java.sql.SQLTransientConnectionException("connection refused"), org.killbill.billing.ErrorCode.UNEXPECTED_ERROR, "db"));
        kb.tenantValuesFailNext.add(() -> new RuntimeException("DBI", new java.sql.SQLTransientConnectionException("connection refused")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> handler.rulesFor(tenant))
                .isInstanceOf(io.github.meterstream.core.failure.TransientFailure.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> handler.rulesFor(tenant))
                .isInstanceOf(io.github.meterstream.core.failure.TransientFailure.class);
        assertThat(handler.rulesFor(tenant).allowsSource("backfill")).isFalse();
    }
}
