package io.github.meterstream.killbill;

import io.github.meterstream.core.config.ConfigDocs;
import io.github.meterstream.core.config.ConfigKey;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's configuration tables are generated from the key declarations. Run with
 * {@code -Dreadme.update=true} to rewrite them after changing a key.
 */
@DisplayName("The module README")
class ReadmeConfigTablesTest {

    static final Path README = Path.of("README.md");

    static Map<String, String> tables() {
        List<ConfigKey<?>> global = new ArrayList<>(MeterstreamConfigProperties.KEYS);
        global.addAll(io.github.meterstream.core.usage.UsageContractConfig.KEYS);
        return Map.of(
                "global", ConfigDocs.markdownTable(MeterstreamConfigProperties.PREFIX, global),
                "source", ConfigDocs.markdownTable(MeterstreamConfigProperties.PREFIX + "sources.<name>.",
                        List.of(io.github.meterstream.core.source.BrokerSourceFactories.TYPE, MeterstreamConfigProperties.SOURCE_TENANTS)),
                "tenant", ConfigDocs.markdownTable("", MeterstreamTenantRules.KEYS));
    }

    @Test
    @DisplayName("shows every configuration key as declared")
    void tablesMatchDeclarations() throws IOException {
        String text = Files.readString(README, StandardCharsets.UTF_8);
        String updated = text;
        for (Map.Entry<String, String> t : tables().entrySet()) {
            String begin = "<!-- config:" + t.getKey() + " -->\n";
            String end = "<!-- /config:" + t.getKey() + " -->";
            int b = updated.indexOf(begin);
            int e = updated.indexOf(end);
            assertThat(b).as("marker " + begin.trim()).isNotNegative();
            assertThat(e).as("marker " + end).isGreaterThan(b);
            updated = updated.substring(0, b + begin.length()) + t.getValue() + updated.substring(e);
        }
        if (Boolean.getBoolean("readme.update")) {
            Files.writeString(README, updated, StandardCharsets.UTF_8);
        }
        assertThat(text).as("README tables differ from the declarations; run with -Dreadme.update=true").isEqualTo(updated);
    }
}
