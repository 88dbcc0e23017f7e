package io.github.meterstream.killbill;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The built bundle")
class BundleManifestIT {

    static Path jar;
    static Attributes manifest;
    static List<String> entries;

    @BeforeAll
    static void open() throws IOException {
        jar = Path.of(System.getProperty("bundle.jar", "target/killbill-usage-plugin-0.1.0-SNAPSHOT.jar"));
        assertThat(jar).as("run 'mvn verify': the bundle is built by 'package'").exists();
        try (JarFile f = new JarFile(jar.toFile())) {
            manifest = f.getManifest().getMainAttributes();
            entries = f.stream().map(e -> e.getName()).collect(Collectors.toList());
        }
        System.out.println("Bundle " + jar.getFileName() + ": " + Files.size(jar) + " bytes");
    }

    /** Splits a manifest header on the commas that are not inside quotes. */
    static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.add(b.toString().trim());
                b.setLength(0);
            } else {
                b.append(c);
            }
        }
        if (b.length() > 0) {
            out.add(b.toString().trim());
        }
        return out;
    }

    static List<String> mandatoryImports() {
        return clauses(manifest.getValue("Import-Package")).stream()
                .filter(c -> !c.contains("resolution:=optional"))
                .map(c -> c.split(";")[0])
                .collect(Collectors.toList());
    }

    @Test
    @DisplayName("starts with MeterstreamActivator")
    void activator() {
        assertThat(manifest.getValue("Bundle-Activator")).isEqualTo("io.github.meterstream.killbill.MeterstreamActivator");
        assertThat(manifest.getValue("Bundle-SymbolicName")).isEqualTo("io.github.meterstream.killbill-usage-plugin");
        assertThat(entries).contains("io/github/meterstream/killbill/MeterstreamActivator.class");
    }

    @Test
    @DisplayName("imports the Kill Bill packages it needs, mandatorily")
    void killbillImports() {
        assertThat(mandatoryImports()).contains(
                "org.killbill.billing.usage.api",
                "org.killbill.billing.catalog.api",
                "org.killbill.billing.entitlement.api",
                "org.killbill.billing.tenant.api",
                "org.killbill.billing.osgi.api",
                "org.killbill.billing.osgi.libs.killbill",
                "org.killbill.billing.security",
                "org.killbill.billing.security.api",
                "org.killbill.billing.notification.plugin.api",
                "org.killbill.billing.util.callcontext",
                "org.killbill.clock",
                "org.slf4j");
    }

    @Test
    @DisplayName("accepts the slf4j 1.7 that Kill Bill exports for slf4j's sub-packages (kafka-clients needs org.slf4j.spi)")
    void slf4jSubPackagesFromKillbill() {
        List<String> imports = clauses(manifest.getValue("Import-Package"));
        for (String pkg : List.of("org.slf4j.spi", "org.slf4j.helpers", "org.slf4j.event")) {
            assertThat(imports).filteredOn(c -> c.startsWith(pkg + ";")).singleElement().asString().contains("[1.7,3)");
        }
    }

    @Test
    @DisplayName("imports no test library, and only optionally what Kill Bill 0.22 may lack")
    void noTestLibraries() {
        String imports = manifest.getValue("Import-Package");
        for (String testPackage : List.of("org.junit", "org.assertj", "org.awaitility", "org.h2", "io.github.meterstream.testkit",
                "org.mockito")) {
            assertThat(imports).doesNotContain(testPackage + ".").doesNotContain(testPackage + ";");
        }
        assertThat(mandatoryImports()).doesNotContain("org.osgi.service.log", "org.killbill.commons.metrics.api");
    }

    @Test
    @DisplayName("embeds broker-core and the plugin framework as jars, and no test or Kill Bill API jar")
    void embedded() {
        List<String> classPath = clauses(manifest.getValue("Bundle-ClassPath"));
        assertThat(classPath).contains(".");
        List<String> jars = classPath.stream().filter(e -> e.endsWith(".jar")).collect(Collectors.toList());
        assertThat(jars).anyMatch(j -> j.startsWith("broker-core-"))
                .anyMatch(j -> j.startsWith("killbill-base-plugin-"))
                .anyMatch(j -> j.startsWith("jooby-"))
                .anyMatch(j -> j.startsWith("jackson-databind-"))
                .anyMatch(j -> j.startsWith("hibernate-validator-"));
        assertThat(entries).containsAll(jars);
        assertThat(jars).noneMatch(j -> j.matches("(junit|assertj|awaitility|h2|broker-testkit|opentest4j|mockito|byte-buddy|killbill-api|"
                + "killbill-platform|killbill-plugin-api|slf4j|joda-time|osgi).*"));
        assertThat(entries).noneMatch(e -> e.startsWith("org/killbill/billing/usage/api/"));
    }

    @Test
    @DisplayName("embeds one build of the Kill Bill calls per Kill Bill line (0.22 and 0.24), as jars on its class path")
    void killbillLines() throws IOException {
        List<String> classPath = clauses(manifest.getValue("Bundle-ClassPath"));
        Map<String, String> lineClasses = Map.of(
                "killbill-line-api-", "io/github/meterstream/killbill/line/KillbillLine.class",
                "killbill-line-0.22-", "io/github/meterstream/killbill/line/kb022/Killbill022Line.class",
                "killbill-line-0.24-", "io/github/meterstream/killbill/line/kb024/Killbill024Line.class");
        try (JarFile bundle = new JarFile(jar.toFile())) {
            for (Map.Entry<String, String> line : lineClasses.entrySet()) {
                String embedded = classPath.stream().filter(j -> j.startsWith(line.getKey()) && j.endsWith(".jar")).findFirst()
                        .orElseThrow(() -> new AssertionError(line.getKey() + "*.jar is not on the Bundle-ClassPath " + classPath));
                try (JarInputStream in = new JarInputStream(bundle.getInputStream(bundle.getJarEntry(embedded)))) {
                    List<String> classes = new ArrayList<>();
                    for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                        classes.add(e.getName());
                    }
                    assertThat(classes).as(embedded).contains(line.getValue());
                }
            }
        }
        // embedded once, as jars: not also copied into the bundle's own classes
        assertThat(entries).noneMatch(e -> e.startsWith("io/github/meterstream/killbill/line/"));
    }

    @Test
    @DisplayName("stays within its size budget (under 32 MB; Kafka alone is 20 MB)")
    void size() throws IOException {
        assertThat(Files.size(jar)).isLessThan(32L * 1024 * 1024);
    }
}
