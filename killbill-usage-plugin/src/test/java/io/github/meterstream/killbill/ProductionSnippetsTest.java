package io.github.meterstream.killbill;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A production snippet is pasted as it is. On Kill Bill 0.22 a source does not start without the JDK
 * packages the plugin README's snippet exports, so every {@code properties} block that configures a
 * source carries that line, with the same value.
 */
@DisplayName("Production snippets in the docs")
class ProductionSnippetsTest {

    static final String EXPORT = "org.killbill.osgi.system.bundle.export.packages.extra=";
    static final Path ROOT = Path.of("..");
    static final List<String> DOCS = List.of("README.md", "killbill-usage-plugin/README.md", "broker-kafka/README.md",
            "broker-rabbitmq/README.md", "broker-activemq/README.md", "docs/OPERATIONS.md");
    static final Pattern BLOCK = Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL);
    static final Pattern SOURCE_TYPE = Pattern.compile("^" + Pattern.quote(MeterstreamConfigProperties.PREFIX) + "sources\\.[^.]+\\.type=",
            Pattern.MULTILINE);

    static String exportValue(String block) {
        for (String line : block.split("\n")) {
            if (line.startsWith(EXPORT)) {
                return line.substring(EXPORT.length()).trim();
            }
        }
        return null;
    }

    @Test
    @DisplayName("that configure a source carry Kill Bill 0.22's export line, as the plugin README gives it")
    void exportLine() throws IOException {
        String expected = null;
        Matcher m = BLOCK.matcher(Files.readString(ROOT.resolve("killbill-usage-plugin/README.md"), StandardCharsets.UTF_8));
        while (expected == null && m.find()) {
            expected = exportValue(m.group(1));
        }
        assertThat(expected).as("the plugin README's export line").isNotNull().contains("javax.security.sasl");
        List<String> problems = new ArrayList<>();
        int blocks = 0;
        for (String doc : DOCS) {
            Path p = ROOT.resolve(doc);
            if (!Files.exists(p)) {
                continue;
            }
            Matcher b = BLOCK.matcher(Files.readString(p, StandardCharsets.UTF_8));
            while (b.find()) {
                if (!SOURCE_TYPE.matcher(b.group(1)).find()) {
                    continue;
                }
                blocks++;
                String value = exportValue(b.group(1));
                if (!expected.equals(value)) {
                    problems.add(doc + ": a source snippet " + (value == null ? "without" : "with another") + " export line");
                }
            }
        }
        assertThat(blocks).as("source snippets found").isGreaterThanOrEqualTo(5);
        assertThat(problems).isEmpty();
    }
}
