package io.github.meterstream.core.config;

import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.core.usage.UsageContractConfig;
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

    @Test
    @DisplayName("docs/CONFIGURATION.md lists the usage contract and idempotency store keys exactly as declared")
    void usageAndStoreTablesMatch() throws Exception {
        Path doc = Path.of("..", "docs", "CONFIGURATION.md");
        assertThat(GeneratedDocs.check(doc, "usage", "org.killbill.billing.plugin.meterstream.", UsageContractConfig.KEYS)).isNull();
        assertThat(GeneratedDocs.check(doc, "idempotency", "org.killbill.billing.plugin.meterstream.",
                java.util.List.of(JdbcIdempotencyStore.TABLE_NAME))).isNull();
    }
}
