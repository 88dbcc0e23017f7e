package io.github.meterstream.killbill;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static io.github.meterstream.killbill.KillbillOsgiFramework.ACTIVE;
import static io.github.meterstream.killbill.KillbillOsgiFramework.RESOLVED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bundle built by {@code package}, installed and started in the OSGi framework of one Kill Bill
 * line ({@link KillbillOsgiFramework}); one subclass per line, each run in its own JVM (Felix sets
 * JVM-wide URL handlers).
 *
 * <p>Kill Bill's own system bundle activator registers its services before any plugin starts; here the
 * kit registers what {@code KillbillActivatorBase.start} and {@code MeterstreamActivator.start} use
 * when the plugin has no configuration, under the names Kill Bill registers them with: a real
 * {@code DefaultClock}, a real {@code java.util.Observable} (what the event dispatcher observes), and
 * an H2 {@code javax.sql.DataSource} (Kill Bill's database in its H2 mode), and two stubs:
 * {@code OSGIKillbill}, answering only {@code getPluginConfigServiceApi} with the
 * {@code PluginJavaConfig} Kill Bill gives a plugin it installed from
 * {@code plugins/java/meterstream/<version>/}, and {@code OSGIConfigProperties} with no properties.
 * Without the clock, the config properties or {@code OSGIKillbill}, {@code KillbillActivatorBase.start}
 * throws {@code OSGIServiceNotAvailable}; 0.22's throws a NullPointerException when the plugin config is
 * null (0.24's then skips its restart mechanism). Without the data source the activator runs, but the
 * plugin reports "could not start" (no idempotency table). With all of them and no configuration, the
 * plugin creates its idempotency table, starts no source and says so in its healthcheck, as on a real
 * server.
 */
abstract class KillbillOsgiCompatibilityKit {

    static final Path BUNDLE = Path.of(System.getProperty("bundle.jar", "target/killbill-usage-plugin-0.1.0-SNAPSHOT.jar"));
    static final Path FRAMEWORKS = Path.of(System.getProperty("killbill-osgi.dir", "target/killbill-osgi"));
    static final String PLUGIN = "(killbill.pluginName=meterstream)";

    /** The line's directory under {@code target/killbill-osgi}, e.g. {@code 0.24}. */
    abstract String line();

    /** Framework properties this line needs on this JVM beyond Kill Bill's own. */
    Map<String, String> moreFrameworkConfig() {
        return Map.of();
    }

    /** How the plugin must describe the line it picked, e.g. {@code killbill-api 0.54+ (Kill Bill 0.24)}. */
    abstract String expectedLine();

    /** The {@code org.osgi.service.log} version this line's system bundle exports. */
    abstract String logServiceVersion();

    /** Services only this line's Kill Bill registers. */
    void registerLineServices(KillbillOsgiFramework kb) throws Exception {
    }

    @TempDir
    Path storage;

    KillbillOsgiFramework kb;

    @BeforeEach
    void startKillbillFramework() throws Exception {
        kb = KillbillOsgiFramework.start(FRAMEWORKS, line(), storage, moreFrameworkConfig());
    }

    @AfterEach
    void stopKillbillFramework() throws Exception {
        if (kb != null) {
            kb.close();
        }
    }

    @Test
    @DisplayName("the system bundle exports what this line's OSGIConfig declares")
    void systemBundleExports() throws Exception {
        assertThat(kb.systemPackagesExtra).contains("org.killbill.billing.usage.api,").contains("org.osgi.service.log;version=");
        assertThat(kb.systemExport("org.killbill.billing.usage.api")).isNotNull();
        assertThat(kb.systemExport("org.osgi.service.log")).isEqualTo("org.osgi.service.log;version=" + logServiceVersion());
    }

    @Test
    @DisplayName("the plugin resolves, its activator starts on this line's build, and it stops cleanly")
    void startsAndStops() throws Exception {
        registerKillbillServices();
        Object plugin = kb.install(BUNDLE);

        kb.start(plugin);

        assertThat(kb.state(plugin)).as("bundle state").isEqualTo(ACTIVE);
        List<Object> healthchecks = kb.services("org.killbill.billing.osgi.api.Healthcheck", PLUGIN);
        assertThat(healthchecks).hasSize(1);
        Object health = kb.call(healthchecks.get(0), "org.killbill.billing.osgi.api.Healthcheck", "getHealthStatus",
                new Class<?>[] {kb.type("org.killbill.billing.tenant.api.Tenant"), Map.class}, null, Map.of());
        Map<?, ?> details = (Map<?, ?>) kb.call(health, "org.killbill.billing.osgi.api.Healthcheck$HealthStatus", "getDetails");
        System.out.println("Kill Bill " + line() + " framework: meterstream ACTIVE, healthcheck " + details);
        assertThat(details.get("killbillApi")).asString().startsWith(expectedLine());
        // started without configuration: no source, and the healthcheck says why
        assertThat(details.get("message")).asString().contains("no source is configured");
        assertThat(kb.services("javax.servlet.Servlet", PLUGIN)).hasSize(1);

        kb.stop(plugin);

        assertThat(kb.state(plugin)).isEqualTo(RESOLVED);
        assertThat(kb.services("org.killbill.billing.osgi.api.Healthcheck", PLUGIN)).isEmpty();
    }

    private void registerKillbillServices() throws Exception {
        File versionRoot = Files.createDirectories(storage.resolve("plugins/java/meterstream/0.1.0")).toFile();
        Map<String, Object> pluginConfig = new HashMap<>();
        pluginConfig.put("getPluginName", "meterstream");
        pluginConfig.put("getPluginVersionRoot", versionRoot);
        Map<String, Object> pluginConfigApi = new HashMap<>();
        pluginConfigApi.put("getPluginJavaConfig", kb.stub("org.killbill.billing.osgi.api.config.PluginJavaConfig", pluginConfig));
        kb.register("org.killbill.billing.osgi.api.OSGIKillbill", kb.stub("org.killbill.billing.osgi.api.OSGIKillbill",
                Map.of("getPluginConfigServiceApi", kb.stub("org.killbill.billing.osgi.api.config.PluginConfigServiceApi", pluginConfigApi))));

        Map<String, Object> configProperties = new HashMap<>();
        configProperties.put("getProperties", new Properties());
        configProperties.put("getString", null);
        configProperties.put("getPropertiesBySource", Map.of());
        kb.register("org.killbill.billing.osgi.api.OSGIConfigProperties",
                kb.stub("org.killbill.billing.osgi.api.OSGIConfigProperties", configProperties));

        kb.register("org.killbill.clock.Clock", kb.type("org.killbill.clock.DefaultClock").getConstructor().newInstance());
        // Kill Bill's database: H2 in MySQL mode, as Kill Bill's own H2 setup (javax.sql is the JDK's, shared by both sides)
        JdbcDataSource database = new JdbcDataSource();
        database.setURL("jdbc:h2:mem:killbill-" + line() + ";MODE=MySQL;DB_CLOSE_DELAY=-1");
        kb.register("javax.sql.DataSource", database);
        kb.register("java.util.Observable", new java.util.Observable());
        registerLineServices(kb);
    }
}
