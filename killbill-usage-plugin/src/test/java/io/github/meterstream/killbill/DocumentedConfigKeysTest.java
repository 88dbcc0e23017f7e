package io.github.meterstream.killbill;

import io.github.meterstream.activemq.ActiveMqSourceConfig;
import io.github.meterstream.core.config.ConfigDocs;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.core.usage.UsageContractConfig;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.KafkaSourceFactory;
import io.github.meterstream.killbill.internal.SourceSettingsProbe;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
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
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every key the docs show an operator (every generated table of {@link ConfigurationDocsTest}) is fed
 * to the parser that reads it (the plugin's, or the adapter's), with a value other than its default:
 * the parser must accept it and the parsed configuration must change. A documented key the code
 * reads under another name, or reads not at all, fails here; so does a key the code declares that a
 * document leaves out.
 */
@DisplayName("The documented configuration keys")
class DocumentedConfigKeysTest {

    static final String P = MeterstreamConfigProperties.PREFIX;
    static final Path CONFIGURATION = ConfigurationDocsTest.CONFIGURATION;
    static final Path README = ConfigurationDocsTest.README;
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

    /** The rows of generated table {@code section} of {@code file}, as the file shows them. */
    static List<Doc> section(Path file, String section) throws IOException {
        String table = ConfigDocs.section(Files.readString(file, StandardCharsets.UTF_8), section);
        assertThat(table).as("section " + section + " of " + file).isNotNull();
        List<Doc> out = new ArrayList<>();
        Matcher m = ROW.matcher(table);
        while (m.find()) {
            out.add(new Doc(m.group(1), m.group(2), m.group(3)));
        }
        assertThat(out).as("rows of " + section + " in " + file).isNotEmpty();
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
        List<Doc> docs = new ArrayList<>(section(README, "global"));
        docs.addAll(section(CONFIGURATION, "usage"));
        docs.addAll(section(CONFIGURATION, "idempotency"));
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
    @DisplayName("of a source's pipeline are read by the plugin and change the pipeline's configuration")
    void pipelineKeysAreRead() throws IOException {
        String unchanged = SourceSettingsProbe.of(MeterstreamConfigProperties.from(base())).pipeline;
        Map<String, String> problems = new LinkedHashMap<>();
        for (Doc d : section(CONFIGURATION, "pipeline")) {
            Properties p = base();
            p.setProperty(d.key.replace("<name>", "usage"), otherValue(d));
            try {
                if (SourceSettingsProbe.of(MeterstreamConfigProperties.from(p)).pipeline.equals(unchanged)) {
                    problems.put(d.key, "accepted but changes nothing");
                }
            } catch (RuntimeException e) {
                problems.put(d.key, "refused: " + e.getMessage());
            }
        }
        assertThat(problems).as("documented pipeline keys the plugin does not pass on").isEmpty();
    }

    @Test
    @DisplayName("of a source itself are read by the plugin: its type is required, its tenants and healthcheck choice change its settings")
    void sourceKeysAreRead() throws IOException {
        for (Doc d : section(README, "source")) {
            String key = d.key.replace("<name>", "usage");
            if (d.key.endsWith('.' + BrokerSourceFactories.TYPE.name())) {
                Properties p = base();
                p.remove(key);
                assertThatThrownBy(() -> BrokerSourceFactories.of(new KafkaSourceFactory())
                        .create("usage", MeterstreamConfigProperties.from(p).source("usage"), List.of("pipeline", "tenants")))
                        .as(d.key).hasMessageStartingWith(key + ": is required");
            } else {
                Properties p = base();
                p.setProperty(key, otherValue(d));
                assertThat(SourceSettingsProbe.of(MeterstreamConfigProperties.from(p)).pluginSettings).as(d.key)
                        .isNotEqualTo(SourceSettingsProbe.of(MeterstreamConfigProperties.from(base())).pluginSettings);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapterDocs")
    @DisplayName("of an adapter, in docs/CONFIGURATION.md and in its README, are read by the adapter and change its configuration")
    void adapterKeysAreRead(String doc, Path file, BrokerSourceFactory factory, String prefix) throws IOException {
        AdapterSamples samples = AdapterSamples.of(factory.type());
        Map<String, Object> unchanged = samples.parsed(Map.of());
        Map<String, String> problems = new LinkedHashMap<>();
        for (Doc d : section(file, factory.type())) {
            String name = d.key.substring(prefix.length());
            Map<String, String> change = samples.change(name, otherValue(d));
            try {
                if (samples.parsed(change).equals(unchanged)) {
                    problems.put(d.key, "accepted but changes nothing");
                }
            } catch (RuntimeException e) {
                problems.put(d.key, "refused: " + e.getMessage());
            }
        }
        assertThat(problems).as("documented keys the " + factory.type() + " adapter does not read as documented").isEmpty();
    }

    static Stream<Arguments> adapterDocs() {
        return ConfigurationDocsTest.adapters().stream().flatMap(f -> Stream.of(
                Arguments.of("docs/CONFIGURATION.md: " + f.type(), CONFIGURATION, f, ConfigurationDocsTest.SOURCE),
                Arguments.of("broker-" + f.type() + "/README.md", ConfigurationDocsTest.adapterReadme(f), f, "")));
    }

    @Test
    @DisplayName("include every key the code declares, each in the documents of the code that reads it")
    void everyDeclaredKeyIsDocumented() throws Exception {
        // per class: every group must show each of its keys, in at least one table of the group
        Map<Class<?>, List<List<ConfigDocs.Table>>> readers = new LinkedHashMap<>();
        readers.put(PipelineConfig.class, List.of(List.of(ConfigurationDocsTest.table(CONFIGURATION, "pipeline"))));
        readers.put(UsageContractConfig.class, List.of(List.of(ConfigurationDocsTest.table(CONFIGURATION, "usage")),
                List.of(ConfigurationDocsTest.table(README, "global"))));
        readers.put(JdbcIdempotencyStore.class, List.of(List.of(ConfigurationDocsTest.table(CONFIGURATION, "idempotency"))));
        readers.put(MeterstreamConfigProperties.class, List.of(List.of(ConfigurationDocsTest.table(README, "global"),
                ConfigurationDocsTest.table(README, "source"))));
        readers.put(BrokerSourceFactories.class, List.of(List.of(ConfigurationDocsTest.table(README, "source"))));
        readers.put(MeterstreamTenantRules.class, List.of(List.of(ConfigurationDocsTest.table(README, "tenant"))));
        readers.put(KafkaSourceConfig.class, adapterTables("kafka"));
        readers.put(RabbitMqSourceConfig.class, adapterTables("rabbitmq"));
        readers.put(ActiveMqSourceConfig.class, adapterTables("activemq"));
        List<String> undocumented = new ArrayList<>();
        for (Map.Entry<Class<?>, List<List<ConfigDocs.Table>>> r : readers.entrySet()) {
            for (Field f : r.getKey().getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || !ConfigKey.class.isAssignableFrom(f.getType())) {
                    continue;
                }
                String name = ((ConfigKey<?>) f.get(null)).name();
                for (List<ConfigDocs.Table> group : r.getValue()) {
                    boolean shown = false;
                    for (ConfigDocs.Table t : group) {
                        String table = ConfigDocs.section(Files.readString(t.file(), StandardCharsets.UTF_8), t.section());
                        shown |= table != null && ConfigDocs.rowsByKey(table).containsKey(t.prefix() + name);
                    }
                    if (!shown) {
                        undocumented.add(r.getKey().getSimpleName() + '.' + f.getName() + " (" + name + ") in none of " + group);
                    }
                }
            }
        }
        assertThat(undocumented).as("keys the code reads that a document leaves out").isEmpty();
    }

    /** docs/CONFIGURATION.md and the adapter's README must each show every key of the adapter. */
    static List<List<ConfigDocs.Table>> adapterTables(String type) {
        BrokerSourceFactory f = ConfigurationDocsTest.adapters().stream().filter(a -> a.type().equals(type)).findFirst().orElseThrow();
        return List.of(List.of(ConfigurationDocsTest.table(CONFIGURATION, type)),
                List.of(ConfigurationDocsTest.table(ConfigurationDocsTest.adapterReadme(f), type)));
    }

    @Test
    @DisplayName("per tenant are read from an uploaded tenant configuration and change the tenant's rules")
    void tenantKeysAreRead() throws IOException {
        for (Doc d : section(README, "tenant")) {
            Properties p = new Properties();
            p.setProperty(d.key, otherValue(d));
            assertThat(MeterstreamTenantRules.fromTenantProperties(p, MeterstreamTenantRules.defaults()).toString())
                    .as(d.key).isNotEqualTo(MeterstreamTenantRules.defaults().toString());
        }
    }
}
