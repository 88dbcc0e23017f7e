package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The 0.22 bridge experiment (observations in BRIDGE-NOTES.md, the decision they led to in
 * docs/decisions/0001-one-build-per-kill-bill-line.md): installs the probe bundles from
 * {@code bridge-probes/target} into a real Kill Bill 0.22.26 and records what resolves, what starts and
 * whether a probe can record usage in-process. Not an *IT (needs the probes built first):
 * <pre>
 * mvn -B -f killbill-e2e/bridge-probes/pom.xml package
 * mvn -B -Pe2e verify -pl killbill-e2e -Dit.test=BridgeProbes
 * </pre>
 * Writes {@code target/bridge-probes-report.txt}.
 */
@DisplayName("Bridge probes on a real Kill Bill 0.22.26")
class BridgeProbes {
    private static final Logger LOG = LoggerFactory.getLogger(BridgeProbes.class);
    private static final String VERSION = "0.0.1";
    private static final List<String> PROBES = List.of("exports", "strict", "embedded", "imported");

    @Test
    @DisplayName("each probe bundle's fate on 0.22.26: resolution, start, in-process usage recording")
    void probeTheBridge() throws IOException {
        Path dir = Paths.get(System.getProperty("bridge.probes.dir", "bridge-probes/target")).toAbsolutePath();
        KillbillServer.Builder builder = KillbillServer.builder("bridge");
        String skipAuth = System.getProperty("bridge.skipAuthForPlugins");
        if (skipAuth != null) {
            builder.property("org.killbill.security.skipAuthForPlugins", skipAuth);
        }
        for (String probe : PROBES) {
            Path jar = dir.resolve("kb-bridge-probes-" + VERSION + "-" + probe + ".jar");
            assertThat(jar).as("probe bundle (build it: mvn -B -f killbill-e2e/bridge-probes/pom.xml package)").isRegularFile();
            builder.plugin("probe-" + probe, VERSION, jar);
        }
        // -Dbridge.extraPlugin=name:version:/path/to/bundle.jar installs one more bundle (e.g. a plugin build)
        String extra = System.getProperty("bridge.extraPlugin");
        String extraName = null;
        if (extra != null && !extra.isBlank()) {
            String[] parts = extra.split(":", 3);
            extraName = parts[0];
            builder.plugin(parts[0], parts[1], Paths.get(parts[2]));
        }
        List<String> report = new ArrayList<>();
        try (KillbillServer server = builder.build().start()) {
            report.add("server " + server.baseUri() + " started in " + server.startTime().toMillis() + " ms, skipAuthForPlugins="
                    + skipAuth);
            KillbillClient admin = server.adminClient();
            Map<String, String> states = new LinkedHashMap<>();
            // bundles start asynchronously after the healthcheck: wait until every probe has left STARTING
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                for (String probe : PROBES) {
                    states.put(probe, admin.pluginState("probe-" + probe));
                }
                return states.values().stream().noneMatch(s -> s == null || "STARTING".equals(s));
            });
            report.add("nodesInfo states: " + states);
            if (extraName != null) {
                String name = extraName;
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> admin.pluginState(name) != null && !"STARTING".equals(admin.pluginState(name)));
                report.add("extra plugin " + name + " (" + extra + "): " + admin.pluginState(name));
                KillbillClient.Response status = admin.pluginGet(name, "status");
                report.add("extra plugin GET /plugins/" + name + "/status -> " + status.status() + " "
                        + status.body().trim().replace('\n', ' '));
            }
            report.add("plugins info: " + admin.nodesInfo().findPath("pluginsInfo"));

            String suffix = Long.toHexString(System.nanoTime());
            UUID tenantId = admin.createTenant("bridge-" + suffix, "secret-" + suffix, "bridge-" + suffix);
            KillbillClient tenant = admin.forTenant("bridge-" + suffix, "secret-" + suffix);
            tenant.uploadCatalog(UsageCatalog.xml());
            UUID accountId = tenant.createAccount("acct-" + suffix, "USD", 1);
            UUID subscriptionId = tenant.createSubscription(accountId, "sub-" + suffix, UsageCatalog.PLAN);
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            long expected = 0;
            for (String probe : PROBES) {
                if (probe.equals("exports")) {
                    continue;
                }
                KillbillClient.Response status = admin.pluginGet("probe-" + probe, "status");
                report.add("probe-" + probe + " GET status -> " + status.status() + " " + status.body().trim());
                for (String thread : List.of("request", "plugin")) {
                    KillbillClient.Response usage = admin.pluginPost("probe-" + probe, "usage?tenantId=" + tenantId
                            + "&subscriptionId=" + subscriptionId + "&unit=" + UsageCatalog.API_CALL + "&amount=10&trackingId=probe-"
                            + probe + "-" + thread + "&date=" + today + "&thread=" + thread);
                    report.add("probe-" + probe + " POST usage (thread=" + thread + ") -> " + usage.status() + " "
                            + usage.body().trim().replace('\n', ' '));
                    if (usage.status() == 201) {
                        expected += 10;
                    }
                }
            }
            Map<String, Long> totals = tenant.usageTotals(subscriptionId, today, today.plusDays(1));
            report.add("usage read back over REST: " + totals + " (expected api-call=" + expected + ")");

            String console = server.consoleText();
            report.add("--- console lines about the probes ---");
            report.addAll(console.lines()
                    .filter(l -> l.contains("PROBE ") || l.contains("PROBE-EXPORT-COUNT") || ((l.contains("meterstream")
                            || l.startsWith("Caused by"))
                            && (l.contains("ERROR") || l.contains("WARN") || l.contains("Unresolved") || l.contains("Exception"))))
                    .map(l -> l.length() > 600 ? l.substring(0, 600) + "..." : l)
                    .collect(Collectors.toList()));
            report.add("--- system bundle exports (PROBE-EXPORT) ---");
            report.addAll(console.lines().filter(l -> l.startsWith("PROBE-EXPORT ")).collect(Collectors.toList()));

            Path out = Paths.get("target/bridge-probes-report" + (skipAuth == null ? "" : "-skipAuth-" + skipAuth) + ".txt");
            Files.write(out, report, StandardCharsets.UTF_8);
            report.stream().filter(l -> !l.startsWith("PROBE-EXPORT ")).forEach(l -> LOG.info("BRIDGE {}", l));
            LOG.info("BRIDGE report written to {}", out.toAbsolutePath());

            assertThat(states.get("exports")).as("the OSGi-core-only probe runs").isEqualTo("RUNNING");
            assertThat(totals.getOrDefault(UsageCatalog.API_CALL, 0L)).isEqualTo(expected);
        }
    }
}
