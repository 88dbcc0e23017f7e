package io.github.meterstream.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static org.awaitility.Awaitility.await;

/**
 * The plugin under test, as the scenarios use it: its bundle (built earlier in the same reactor), its
 * global configuration lines, its status page, and usage messages in its format.
 */
public final class Meterstream {
    public static final String PLUGIN = "meterstream";
    public static final String VERSION = "0.1.0";
    public static final String PREFIX = "org.killbill.billing.plugin.meterstream.";
    /** Dead-letter headers (broker-core's {@code DeadLetterEnvelope}). */
    public static final String REASON_CODE_HEADER = "meterstream_dlq_reason_code";
    public static final String REASON_HEADER = "meterstream_dlq_reason";

    /**
     * JDK packages the broker clients use that Kill Bill 0.22's system bundle does not export (its
     * {@code org.killbill.osgi.system.bundle.export.packages.java} list lacks them): without them kafka-clients
     * fails on its poll thread with {@code NoClassDefFoundError: javax/security/sasl/SaslException}. An
     * operator sets the same property; see killbill-usage-plugin/README.md.
     */
    public static final String EXTRA_SYSTEM_PACKAGES = "javax.security.auth,javax.security.auth.callback,"
            + "javax.security.auth.kerberos,javax.security.auth.login,javax.security.auth.spi,javax.security.auth.x500,"
            + "javax.security.sasl,org.ietf.jgss,javax.naming.directory,javax.naming.spi,javax.script,javax.xml.datatype";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Meterstream() {
    }

    /** The plugin jar, from {@code -Dkillbill.e2e.pluginJar} (set by the e2e profile from the reactor's artifact). */
    public static Path pluginJar() {
        String path = System.getProperty("killbill.e2e.pluginJar");
        if (path == null || path.isEmpty() || path.startsWith("${") || !Files.isRegularFile(Paths.get(path))) {
            throw new IllegalStateException("the meterstream plugin jar is not at -Dkillbill.e2e.pluginJar=" + path
                    + ": run through Maven, mvn -B -Pe2e verify (the profile builds killbill-usage-plugin first)");
        }
        return Paths.get(path);
    }

    /**
     * A Kill Bill server builder with the plugin installed and one source {@code source} configured by
     * {@code sourceConfig} (keys relative to {@code sources.<source>.}), plus what a plugin-owned consumer
     * thread needs on 0.22 ({@code skipAuthForPlugins}).
     */
    public static KillbillServer.Builder server(String name, String source, Map<String, String> sourceConfig) {
        KillbillServer.Builder b = KillbillServer.builder(name).plugin(PLUGIN, VERSION, pluginJar())
                .property("org.killbill.security.skipAuthForPlugins", "true")
                .property("org.killbill.osgi.system.bundle.export.packages.extra", EXTRA_SYSTEM_PACKAGES);
        sourceConfig.forEach((k, v) -> b.property(PREFIX + "sources." + source + "." + k, v));
        return b;
    }

    /**
     * {@code GET /plugins/meterstream/status} (optionally {@code ?tenant=}): a JSON object. {@code admin} must send
     * admin Basic credentials (a Kill Bill user with {@code tenant:create}); a client with tenant headers gets that
     * tenant's view whatever {@code tenantId} says, an anonymous one a 401.
     */
    public static JsonNode status(KillbillClient admin, UUID tenantId) {
        KillbillClient.Response r = admin.pluginGet(PLUGIN, "status" + (tenantId == null ? "" : "?tenant=" + tenantId));
        if (r.status() != 200) {
            throw new IllegalStateException("plugin status -> " + r);
        }
        try {
            JsonNode node = JSON.readTree(r.body());
            if (!node.isObject()) {
                throw new IllegalStateException("plugin status is not a JSON object: " + r.body());
            }
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException("plugin status is not JSON: " + r.body(), e);
        }
    }

    /** This tenant's counters on {@code source} (recorded, duplicates, deadLettered, ...) on this node. */
    public static JsonNode tenantCounts(KillbillClient admin, String source, UUID tenantId) {
        return status(admin, tenantId).path("sources").path(source).path("counts");
    }

    /** Waits until the plugin runs and {@code source} is connected to its broker. */
    public static void awaitSourceConnected(KillbillClient admin, String source, Duration timeout) {
        await("meterstream source " + source + " connected on " + admin.baseUri()).atMost(timeout)
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> "CONNECTED".equals(status(admin, null).path("sources").path(source).path("connection").asText()));
    }

    /** One usage message: one record of {@code amount} {@code unit} on {@code date} for a subscription of a tenant. */
    public static String usage(UUID tenantId, UUID subscriptionId, String trackingId, String unit, LocalDate date, long amount) {
        ObjectNode m = JSON.createObjectNode().put("tenantId", tenantId.toString())
                .put("subscriptionId", subscriptionId.toString()).put("trackingId", trackingId);
        ObjectNode u = m.putArray("unitUsageRecords").addObject().put("unitType", unit);
        u.putArray("usageRecords").addObject().put("recordDate", date.toString()).put("amount", amount);
        return m.toString();
    }
}
