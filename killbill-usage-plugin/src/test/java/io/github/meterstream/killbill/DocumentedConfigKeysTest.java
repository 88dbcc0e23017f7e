package io.github.meterstream.killbill;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every key the docs show an operator is fed to the plugin's own parser, with a value other than
 * its default: the parser must accept it and the parsed configuration must change. A documented
 * key the plugin reads under another name, or reads not at all, fails here.
 */
@DisplayName("The documented configuration keys")
class DocumentedConfigKeysTest {

    static final String P = MeterstreamConfigProperties.PREFIX;
    static final Path CONFIGURATION = Path.of("..", "docs", "CONFIGURATION.md");
    static final Path README = Path.of("README.md");
    // | `key` | type | `default` | rules | description |
    static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| ([^|]+) \\| `([^`]*)` \\|", Pattern.MULTILINE);

    /** A documented key: full name, type column, default column. */
    static final class Doc {
        final String key;
        final String type;
        final String defaultText;

        Doc(String key, String type, String defaultText) {
            this.key = key;
            this.type = type.trim();
            this.defaultText = defaultText;
        }

        @Override
        public String toString() {
            return key;
        }
    }

    /** The rows of the generated section {@code name} of {@code file} (either marker style). */
    static List<Doc> section(Path file, String begin, String end) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int b = text.indexOf(begin);
        int e = text.indexOf(end, b);
        assertThat(b).as(begin + " in " + file).isNotNegative();
        List<Doc> out = new ArrayList<>();
        Matcher m = ROW.matcher(text.substring(b, e));
        while (m.find()) {
            out.add(new Doc(m.group(1), m.group(2), m.group(3)));
        }
        assertThat(out).as("rows of " + begin).isNotEmpty();
        return out;
    }

    /** A valid value other than the documented default, from the documented type. */
    static String otherValue(Doc d) {
        String t = d.type;
        if (t.startsWith("one of ")) {
            for (String choice : t.substring("one of ".length()).split("\\\\\\|")) {
                if (!choice.trim().equals(d.defaultText)) {
                    return choice.trim();
                }
            }
        }
        switch (t) {
            case "int":
                return String.valueOf(d.defaultText.matches("-?\\d+") ? Integer.parseInt(d.defaultText) + 1 : 7);
            case "decimal":
                return String.valueOf(Double.parseDouble(d.defaultText) + 0.1);
            case "boolean":
                return String.valueOf(!Boolean.parseBoolean(d.defaultText));
            case "duration":
                return "17s";
            case "list":
                return "usage,backfill";
            default:
                return "documented_value";
        }
    }

    static Properties base() {
        Properties p = new Properties();
        p.setProperty(P + "sources.usage.type", "kafka");
        p.setProperty(P + "sources.usage.bootstrap-servers", "localhost:9092");
        p.setProperty(P + "sources.usage.topics", "usage");
        p.setProperty(P + "sources.usage.group-id", "meterstream");
        return p;
    }

    /** What the plugin parsed from its global keys, as text. */
    static String parsedGlobal(Properties p) {
        MeterstreamConfigProperties c = MeterstreamConfigProperties.from(p);
        return c + " " + c.usageContractConfig() + " " + c.idempotencyTable() + " " + c.killbillPassword();
    }

    @Test
    @DisplayName("of the plugin, the usage contract and the idempotency store are read by the plugin and change its configuration")
    void globalKeysAreRead() throws IOException {
        List<Doc> docs = new ArrayList<>(section(README, "<!-- config:global -->", "<!-- /config:global -->"));
        docs.addAll(section(CONFIGURATION, "<!-- BEGIN GENERATED: usage -->", "<!-- END GENERATED: usage -->"));
        docs.addAll(section(CONFIGURATION, "<!-- BEGIN GENERATED: idempotency -->", "<!-- END GENERATED: idempotency -->"));
        String unchanged = parsedGlobal(base());
        Map<String, String> problems = new LinkedHashMap<>();
        for (Doc d : docs) {
            Properties p = base();
            p.setProperty(d.key, otherValue(d));
            if (d.key.equals(P + MeterstreamConfigProperties.KILLBILL_USERNAME.name())) {
                // documented rule: a username needs its password
                p.setProperty(P + MeterstreamConfigProperties.KILLBILL_PASSWORD.name(), "secret");
            }
            try {
                if (parsedGlobal(p).equals(unchanged)) {
                    problems.put(d.key, "accepted but changes nothing");
                }
            } catch (RuntimeException e) {
                problems.put(d.key, "refused: " + e.getMessage());
            }
        }
        assertThat(problems).as("documented keys the plugin does not read as documented").isEmpty();
    }

    @Test
    @DisplayName("of a source's pipeline reach what uses them: the pipeline's configuration, or the adapter that writes dead letters")
    void pipelineKeysAreRead() throws IOException {
        io.github.meterstream.core.source.BrokerSourceFactories factories = io.github.meterstream.core.source.BrokerSourceFactories.of(
                new io.github.meterstream.kafka.KafkaSourceFactory());
        io.github.meterstream.killbill.internal.SourceSettingsProbe unchanged =
                io.github.meterstream.killbill.internal.SourceSettingsProbe.of(MeterstreamConfigProperties.from(base()), factories);
        Map<String, String> problems = new LinkedHashMap<>();
        for (Doc d : section(CONFIGURATION, "<!-- BEGIN GENERATED: pipeline -->", "<!-- END GENERATED: pipeline -->")) {
            Properties p = base();
            String key = d.key.replace("<name>", "usage");
            String value = otherValue(d);
            p.setProperty(key, value);
            try {
                io.github.meterstream.killbill.internal.SourceSettingsProbe parsed =
                        io.github.meterstream.killbill.internal.SourceSettingsProbe.of(MeterstreamConfigProperties.from(p), factories);
                if (d.key.endsWith(".dead-letter.max-header-bytes")) {
                    // the pipeline does not read this one: the adapter writes the dead-letter headers
                    if (!value.equals(parsed.adapterSection.get("dead-letter.max-header-bytes"))) {
                        problems.put(d.key, "not handed to the adapter, which is what caps dead-letter headers");
                    }
                } else if (parsed.pipeline.equals(unchanged.pipeline)) {
                    problems.put(d.key, "accepted but changes nothing");
                }
            } catch (RuntimeException e) {
                problems.put(d.key, "refused: " + e.getMessage());
            }
        }
        assertThat(problems).as("documented pipeline keys the plugin does not pass on").isEmpty();
    }

    @Test
    @DisplayName("per tenant are read from an uploaded tenant configuration and change the tenant's rules")
    void tenantKeysAreRead() throws IOException {
        for (Doc d : section(README, "<!-- config:tenant -->", "<!-- /config:tenant -->")) {
            Properties p = new Properties();
            p.setProperty(d.key, otherValue(d));
            assertThat(MeterstreamTenantRules.fromTenantProperties(p, MeterstreamTenantRules.defaults()).toString())
                    .as(d.key).isNotEqualTo(MeterstreamTenantRules.defaults().toString());
        }
    }
}
