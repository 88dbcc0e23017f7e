package io.github.meterstream.killbill;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.killbill.internal.KillbillClock;
import io.github.meterstream.killbill.internal.KillbillLines;
import io.github.meterstream.killbill.internal.KillbillMetricsSink;
import io.github.meterstream.killbill.internal.MeterstreamAssembly;
import io.github.meterstream.killbill.internal.MeterstreamRuntime;
import io.github.meterstream.killbill.internal.MeterstreamStatus;
import io.github.meterstream.killbill.internal.MetricsSink;
import io.github.meterstream.killbill.internal.RejectionsApi;
import io.github.meterstream.killbill.internal.SourceFactoryRegistry;
import io.github.meterstream.killbill.line.KillbillLine;
import org.killbill.billing.osgi.api.Healthcheck;
import org.killbill.billing.osgi.api.OSGIPluginProperties;
import org.killbill.billing.osgi.libs.killbill.KillbillActivatorBase;
import org.killbill.billing.plugin.api.notification.PluginConfigurationEventHandler;
import org.killbill.billing.plugin.core.resources.jooby.PluginApp;
import org.killbill.billing.plugin.core.resources.jooby.PluginAppBuilder;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.servlet.Servlet;
import java.time.Clock;
import java.util.Hashtable;

/**
 * The {@code meterstream} Kill Bill plugin: consumes usage messages from the brokers configured
 * under {@value MeterstreamConfigProperties#PREFIX}{@code sources.*} and records them with
 * {@code recordRolledUpUsage}, once per tracking id.
 *
 * <p>{@link #start} first picks the build of the Kill Bill calls that fits this Kill Bill's line
 * (0.22 or 0.24, see {@link KillbillLines}) and refuses to start when none does. It then reads the
 * configuration, creates the idempotency and rejections tables in Kill Bill's database
 * if absent, registers the healthcheck, the servlet ({@code /plugins/meterstream/}) and the
 * per-tenant configuration handler, then starts one pipeline per source. A plugin-wide configuration
 * error starts no source; a source's own error keeps only that source from starting. Both are reported
 * by the healthcheck and the status page; Kill Bill keeps running. {@link #stop}
 * closes every pipeline, source and thread, so Kill Bill can restart the plugin in place.
 */
public class MeterstreamActivator extends KillbillActivatorBase {

    private static final Logger LOG = LoggerFactory.getLogger(MeterstreamActivator.class);

    private volatile MeterstreamRuntime runtime;
    private volatile String configurationError;
    private volatile boolean configurationErrorFailsKillbill;

    @Override
    public void start(BundleContext context) throws Exception {
        KillbillLine line = killbillLine();
        super.start(context);
        Clock killbillClock = new KillbillClock(clock.getClock());

        MeterstreamConfigProperties config = null;
        try {
            config = MeterstreamConfigProperties.from(configProperties.getProperties());
            LOG.info("Meterstream configuration: {}", config);
        } catch (ConfigException e) {
            configurationError = e.getMessage();
            configurationErrorFailsKillbill = MeterstreamConfigProperties.anySourceFailsKillbillHealthcheck(configProperties.getProperties());
            LOG.error("Meterstream configuration error, no source started: {}", e.getMessage());
        }

        MeterstreamConfigurationHandler tenantRules = new MeterstreamConfigurationHandler(killbillAPI,
                config == null ? MeterstreamTenantRules.defaults() : config.defaultTenantRules());
        MeterstreamStatus status = new MeterstreamStatus(line, () -> runtime, () -> configurationError,
                () -> configurationErrorFailsKillbill);

        register(context, Healthcheck.class, new MeterstreamHealthcheck(status::health));
        PluginApp app = new PluginAppBuilder(MeterstreamConfigProperties.PLUGIN_NAME, killbillAPI, dataSource, clock, configProperties)
                .withRouteClass(MeterstreamServlet.class)
                .withService(status)
                .withService(new RejectionsApi(() -> {
                    MeterstreamRuntime r = runtime;
                    return r == null ? null : r.rejections();
                }))
                .build();
        register(context, Servlet.class, PluginApp.createServlet(app));
        dispatcher.registerEventHandlers(new PluginConfigurationEventHandler(tenantRules));

        if (config == null) {
            return;
        }
        try {
            // The node id must survive a restart: a restarted node then takes back its dead claims at once.
            JdbcIdempotencyStore store = new JdbcIdempotencyStore(dataSource.getDataSource(), config.idempotencyTable(), killbillClock,
                    config.idempotencyNodeId());
            store.createTableIfAbsent();
            JdbcDeadLetterStore rejections = new JdbcDeadLetterStore(dataSource.getDataSource(), config.rejectionsTable(),
                    killbillClock, config.rejectionsMaxPayloadBytes(), config.rejectionsMaxPerTenant());
            rejections.createTableIfAbsent();
            MeterstreamRuntime r = MeterstreamAssembly.build(config, killbillAPI, line, killbillClock, tenantRules,
                    SourceFactoryRegistry.available(MeterstreamActivator.class.getClassLoader()), store, rejections, metrics());
            r.start();
            runtime = r;
        } catch (RuntimeException e) {
            configurationError = "could not start: " + e;
            configurationErrorFailsKillbill = MeterstreamConfigProperties.anySourceFailsKillbillHealthcheck(configProperties.getProperties());
            LOG.error("Meterstream could not start", e);
        }
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        MeterstreamRuntime r = runtime;
        runtime = null;
        if (r != null) {
            r.stop();
        }
        super.stop(context);
    }

    /** Once per start, before anything else: a Kill Bill the bundle has no line for fails the start, with the reason. */
    private static KillbillLine killbillLine() {
        try {
            KillbillLine line = KillbillLines.detect();
            LOG.info("Meterstream uses its Kill Bill line {}: {}", line.getClass().getSimpleName(), line.describe());
            return line;
        } catch (IllegalStateException e) {
            LOG.error("Meterstream cannot start: {}", e.getMessage());
            throw e;
        }
    }

    /** Counters in Kill Bill's metric registry; none when this Kill Bill has no compatible one. */
    private MetricsSink metrics() {
        try {
            return KillbillMetricsSink.of(this);
        } catch (LinkageError e) {
            LOG.warn("Kill Bill metric registry unavailable, no metrics: {}", e.toString());
            return MetricsSink.NONE;
        }
    }

    private <S> void register(BundleContext context, Class<S> type, S service) {
        Hashtable<String, String> props = new Hashtable<>();
        props.put(OSGIPluginProperties.PLUGIN_NAME_PROP, MeterstreamConfigProperties.PLUGIN_NAME);
        registrar.registerService(context, type, service, props);
    }
}
