package io.github.meterstream.core.config;

import io.github.meterstream.core.PipelineConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigurationDocsTest {

    @Test
    @DisplayName("docs/CONFIGURATION.md lists every pipeline key exactly as declared")
    void pipelineTableMatches() throws Exception {
        Path doc = Path.of("..", "docs", "CONFIGURATION.md");
        assertThat(GeneratedDocs.check(doc, "pipeline", "org.killbill.billing.plugin.meterstream.sources.<name>.pipeline.",
                PipelineConfig.KEYS)).isNull();
    }
}
