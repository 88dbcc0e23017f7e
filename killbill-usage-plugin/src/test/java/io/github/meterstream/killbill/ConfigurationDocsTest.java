package io.github.meterstream.killbill;

import io.github.meterstream.activemq.ActiveMqSourceFactory;
import io.github.meterstream.core.config.ConfigDocs;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.core.usage.UsageContractConfig;
import io.github.meterstream.kafka.KafkaSourceFactory;
import io.github.meterstream.rabbitmq.RabbitMqSourceFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.fail;

/**
 * Every generated configuration table of the project, listed once: docs/CONFIGURATION.md, each
 * adapter's README and this module's README. The plugin embeds every adapter, so this is the module
 * that sees every declaration. {@link #COMMAND} rewrites them all after a key changed.
 */
@DisplayName("The generated configuration tables")
class ConfigurationDocsTest {

    /** The one command that regenerates every table (docs/CONFIGURATION.md and the README say it too). */
    static final String COMMAND = "mvn -B -ntp -pl killbill-usage-plugin -am test -Dtest=ConfigurationDocsTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -D" + ConfigDocs.WRITE_PROPERTY + "=true";

    static final Path CONFIGURATION = Path.of("..", "docs", "CONFIGURATION.md");
    static final Path README = Path.of("README.md");
    static final String P = MeterstreamConfigProperties.PREFIX;
    static final String SOURCE = P + MeterstreamConfigProperties.SOURCES + ".<name>.";

    static List<BrokerSourceFactory> adapters() {
        return List.of(new KafkaSourceFactory(), new RabbitMqSourceFactory(), new ActiveMqSourceFactory());
    }

    /** The README of an adapter module, whose table shows the keys relative to the source's section. */
    static Path adapterReadme(BrokerSourceFactory factory) {
        return Path.of("..", "broker-" + factory.type(), "README.md");
    }

    static List<ConfigDocs.Table> tables() {
        List<ConfigDocs.Table> t = new ArrayList<>();
        t.add(ConfigDocs.Table.of(CONFIGURATION, "pipeline", SOURCE + MeterstreamConfigProperties.PIPELINE_SECTION + '.',
                PipelineConfig.KEYS));
        t.add(ConfigDocs.Table.of(CONFIGURATION, "usage", P, UsageContractConfig.KEYS));
        t.add(ConfigDocs.Table.of(CONFIGURATION, "idempotency", P,
                List.of(JdbcIdempotencyStore.TABLE_NAME, JdbcIdempotencyStore.NODE_ID)));
        for (BrokerSourceFactory f : adapters()) {
            t.add(ConfigDocs.Table.of(CONFIGURATION, f.type(), SOURCE, f.configKeys()));
            t.add(ConfigDocs.Table.of(adapterReadme(f), f.type(), "", f.configKeys()));
        }
        List<io.github.meterstream.core.config.ConfigKey<?>> global = new ArrayList<>(MeterstreamConfigProperties.KEYS);
        global.addAll(UsageContractConfig.KEYS);
        t.add(ConfigDocs.Table.of(README, "global", P, global));
        List<io.github.meterstream.core.config.ConfigKey<?>> source = new ArrayList<>(List.of(BrokerSourceFactories.TYPE));
        source.addAll(MeterstreamConfigProperties.SOURCE_KEYS);
        t.add(ConfigDocs.Table.of(README, "source", SOURCE, source));
        t.add(ConfigDocs.Table.of(README, "tenant", "", MeterstreamTenantRules.KEYS));
        return t;
    }

    /** The table {@code section} of {@code file} in {@link #tables()}. */
    static ConfigDocs.Table table(Path file, String section) {
        return tables().stream().filter(t -> t.file().equals(file) && t.section().equals(section)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no table " + section + " in " + file));
    }

    @Test
    @DisplayName("show every key as declared, in every document")
    void tablesMatchDeclarations() throws IOException {
        List<String> problems = ConfigDocs.sync(tables());
        if (!problems.isEmpty()) {
            fail(String.join("\n\n", problems) + "\n\nRegenerate every table with:\n  " + COMMAND);
        }
    }
}
