package io.github.meterstream.killbill;

import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.killbill.internal.TenantRulesSource;
import org.killbill.billing.osgi.libs.killbill.OSGIKillbillAPI;
import org.killbill.billing.plugin.api.PluginTenantContext;
import org.killbill.billing.plugin.api.notification.PluginTenantConfigurableConfigurationHandler;
import org.killbill.billing.tenant.api.TenantApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-tenant rules from Kill Bill's per-tenant plugin configuration ({@code uploadPluginConfig/meterstream}),
 * re-read when Kill Bill announces a change or deletion (through the {@code PluginConfigurationEventHandler}
 * the activator registers). Lookups are safe from the pipeline's concurrent worker threads.
 *
 * <p>It fails closed. A tenant that never uploaded a configuration gets the global rules. A tenant
 * whose configuration is invalid, or was deleted while the plugin runs, gets {@link
 * MeterstreamTenantRules#held held} rules: its usage is retried, not recorded under rules it did not
 * choose (the global ones would allow every source) and not dead-lettered; the status page lists
 * it. Uploading a valid configuration (an empty one means "the global rules") releases it. A
 * configuration Kill Bill could not read is a {@link TransientFailure}, never "no configuration";
 * the framework's own reader would answer null, i.e. the global rules, so this class reads the
 * value itself.
 */
public class MeterstreamConfigurationHandler extends PluginTenantConfigurableConfigurationHandler<MeterstreamTenantRules>
        implements TenantRulesSource {

    private static final Logger LOG = LoggerFactory.getLogger(MeterstreamConfigurationHandler.class);
    static final String CONFIG_KEY = "PLUGIN_CONFIG_" + MeterstreamConfigProperties.PLUGIN_NAME;

    /** The rules of one tenant, and whether they came from an upload (so that a deletion is noticed). */
    private static final class Entry {
        final MeterstreamTenantRules rules;
        final boolean uploaded;

        Entry(MeterstreamTenantRules rules, boolean uploaded) {
            this.rules = rules;
            this.uploaded = uploaded;
        }
    }

    private final OSGIKillbillAPI killbillAPI;
    private final MeterstreamTenantRules defaults;
    private final ConcurrentMap<UUID, Entry> byTenant = new ConcurrentHashMap<>();

    public MeterstreamConfigurationHandler(OSGIKillbillAPI killbillAPI, MeterstreamTenantRules defaults) {
        super(MeterstreamConfigProperties.PLUGIN_NAME, killbillAPI);
        this.killbillAPI = killbillAPI;
        this.defaults = defaults;
        setDefaultConfigurable(defaults);
    }

    @Override
    protected MeterstreamTenantRules createConfigurable(Properties properties) {
        return MeterstreamTenantRules.fromTenantProperties(properties, defaults);
    }

    /** Kill Bill announced a change or deletion (bus thread): re-read now, or at the next lookup if Kill Bill cannot answer. */
    @Override
    protected void configure(UUID kbTenantId) {
        if (kbTenantId == null) {
            return;
        }
        try {
            Entry e = load(kbTenantId, byTenant.get(kbTenantId));
            byTenant.put(kbTenantId, e);
            LOG.info("Rules of tenant {}: {}", kbTenantId, e.rules);
        } catch (TransientFailure e) {
            // Forget the old rules: the next message re-reads them, and waits while the read fails.
            byTenant.remove(kbTenantId);
            LOG.warn("Could not re-read tenant {}'s plugin configuration, its next message will: {}", kbTenantId, e.getMessage());
        }
    }

    private Entry load(UUID tenantId, Entry previous) {
        String text = read(tenantId);
        if (text == null) {
            if (previous != null && previous.uploaded) {
                String reason = "its plugin configuration (uploadPluginConfig/" + MeterstreamConfigProperties.PLUGIN_NAME
                        + ") was deleted; upload one again (an empty one applies the global rules)";
                LOG.error("Usage of tenant {} is held: {}", tenantId, reason);
                return new Entry(MeterstreamTenantRules.held(reason), true);
            }
            return new Entry(defaults, false);
        }
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
            return new Entry(createConfigurable(properties), true);
        } catch (IOException | IllegalArgumentException e) { // ConfigException (a key or a rule) included
            String reason = "its plugin configuration (uploadPluginConfig/" + MeterstreamConfigProperties.PLUGIN_NAME
                    + ") is invalid: " + e.getMessage() + "; upload a corrected one";
            LOG.error("Usage of tenant {} is held: {}", tenantId, reason);
            return new Entry(MeterstreamTenantRules.held(reason), true);
        }
    }

    /** The uploaded text, or null when there is none. */
    private String read(UUID tenantId) {
        try {
            List<String> values = killbillAPI.getTenantUserApi().getTenantValuesForKey(CONFIG_KEY, new PluginTenantContext(null, tenantId));
            return values == null || values.isEmpty() ? null : values.get(0);
        } catch (TenantApiException | RuntimeException e) {
            throw new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill could not read tenant " + tenantId
                    + "'s plugin configuration: " + e, tenantId.toString(), null, e);
        }
    }

    /**
     * The rules of {@code kbTenantId}.
     *
     * @throws TransientFailure when Kill Bill cannot tell them now
     */
    @Override
    public MeterstreamTenantRules getConfigurable(UUID kbTenantId) {
        if (kbTenantId == null) {
            return defaults;
        }
        Entry e = byTenant.get(kbTenantId);
        if (e == null) {
            e = load(kbTenantId, null);
            byTenant.putIfAbsent(kbTenantId, e);
        }
        return e.rules;
    }

    @Override
    public MeterstreamTenantRules rulesFor(UUID tenantId) {
        return getConfigurable(tenantId);
    }

    /** Tenants whose usage is held, with the reason, for the status page. */
    @Override
    public Map<UUID, String> problems() {
        Map<UUID, String> out = new TreeMap<>();
        byTenant.forEach((t, e) -> {
            if (e.rules.holdReason() != null) {
                out.put(t, e.rules.holdReason());
            }
        });
        return out;
    }
}
