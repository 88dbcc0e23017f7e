package io.github.meterstream.killbill;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.killbill.internal.TenantRulesSource;
import org.killbill.billing.osgi.libs.killbill.OSGIKillbillAPI;
import org.killbill.billing.plugin.api.notification.PluginTenantConfigurableConfigurationHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-tenant rules from Kill Bill's per-tenant plugin configuration ({@code uploadPluginConfig/meterstream}),
 * re-read when Kill Bill announces a change or deletion (through the {@code PluginConfigurationEventHandler}
 * the activator registers). Unlike the framework's default storage, a deleted configuration falls
 * back to the global defaults, an invalid one too (logged with the key at fault), and lookups are
 * safe from the pipeline's concurrent worker threads.
 */
public class MeterstreamConfigurationHandler extends PluginTenantConfigurableConfigurationHandler<MeterstreamTenantRules>
        implements TenantRulesSource {

    private static final Logger LOG = LoggerFactory.getLogger(MeterstreamConfigurationHandler.class);

    private final MeterstreamTenantRules defaults;
    private final ConcurrentMap<UUID, MeterstreamTenantRules> byTenant = new ConcurrentHashMap<>();

    public MeterstreamConfigurationHandler(OSGIKillbillAPI killbillAPI, MeterstreamTenantRules defaults) {
        super(MeterstreamConfigProperties.PLUGIN_NAME, killbillAPI);
        this.defaults = defaults;
        setDefaultConfigurable(defaults);
    }

    @Override
    protected MeterstreamTenantRules createConfigurable(Properties properties) {
        return MeterstreamTenantRules.fromTenantProperties(properties, defaults);
    }

    @Override
    protected void configure(UUID kbTenantId) {
        if (kbTenantId == null) {
            return;
        }
        Properties properties = getTenantConfigurationAsProperties(kbTenantId);
        MeterstreamTenantRules rules;
        if (properties == null) {
            rules = defaults;
        } else {
            try {
                rules = createConfigurable(properties);
            } catch (ConfigException e) {
                LOG.error("Tenant {}'s plugin configuration is invalid, using the global rules until it is fixed: {}", kbTenantId,
                        e.getMessage());
                rules = defaults;
            }
        }
        byTenant.put(kbTenantId, rules);
        LOG.info("Rules of tenant {}: {}", kbTenantId, rules);
    }

    @Override
    public MeterstreamTenantRules getConfigurable(UUID kbTenantId) {
        if (kbTenantId == null) {
            return defaults;
        }
        MeterstreamTenantRules rules = byTenant.get(kbTenantId);
        if (rules == null) {
            configure(kbTenantId);
            rules = byTenant.getOrDefault(kbTenantId, defaults);
        }
        return rules;
    }

    @Override
    public MeterstreamTenantRules rulesFor(UUID tenantId) {
        return getConfigurable(tenantId);
    }
}
