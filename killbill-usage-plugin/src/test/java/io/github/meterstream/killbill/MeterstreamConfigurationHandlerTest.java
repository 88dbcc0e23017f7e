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
    @DisplayName("a deleted configuration falls back to the global rules")
    void deleted() {
        upload("late-usage-policy=accept");
        assertThat(handler.rulesFor(tenant).acceptLateUsage()).isTrue();
        upload(null);
        assertThat(handler.rulesFor(tenant).acceptLateUsage()).isFalse();
    }

    @Test
    @DisplayName("an invalid configuration (unknown key, bad value) falls back to the global rules")
    void invalid() {
        upload("late-usage-policy=sometimes");
        assertThat(handler.rulesFor(tenant).acceptLateUsage()).isFalse();
        upload("forward-dated-tolerence=2d");
        assertThat(handler.rulesFor(tenant).forwardDatedTolerance()).isEqualTo(Duration.ofHours(6));
    }
}
