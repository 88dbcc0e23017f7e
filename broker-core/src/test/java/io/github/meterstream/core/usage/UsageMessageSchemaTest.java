package io.github.meterstream.core.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.meterstream.core.usage.internal.RecordDates;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The usage JSON Schema")
class UsageMessageSchemaTest {

    /** Surefire runs in the module directory; the docs are one level up. */
    private static final Path DOCS_SCHEMA = Path.of("..", "docs", "usage-message.schema.json");

    private static byte[] resource() throws IOException {
        try (InputStream in = UsageMessage.class.getResourceAsStream(UsageMessage.SCHEMA_RESOURCE)) {
            assertThat(in).as(UsageMessage.SCHEMA_RESOURCE).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    @DisplayName("shipped on the classpath is byte for byte the one in docs/")
    void classpathCopyEqualsDocs() throws IOException {
        assertThat(resource()).as("copy docs/usage-message.schema.json to broker-core/src/main/resources"
                + UsageMessage.SCHEMA_RESOURCE).isEqualTo(Files.readAllBytes(DOCS_SCHEMA));
    }

    @Test
    @DisplayName("states the same record date pattern, UUID pattern and record limit as the Java code")
    void agreesWithJavaConstants() throws IOException {
        JsonNode schema = new ObjectMapper().readTree(resource());
        JsonNode defs = schema.get("$defs");

        assertThat(defs.at("/usageRecord/properties/recordDate/pattern").asText()).isEqualTo(RecordDates.PATTERN);
        assertThat(defs.at("/uuid/pattern").asText()).isEqualTo(UsageMessage.UUID_PATTERN);
        assertThat(defs.at("/unitUsageRecord/properties/usageRecords/maxItems").asInt())
                .isEqualTo(UsageContractConfig.DEFAULT_MAX_RECORDS_PER_MESSAGE);
        assertThat(schema.at("/properties/unitUsageRecords/maxItems").asInt())
                .isEqualTo(UsageContractConfig.DEFAULT_MAX_RECORDS_PER_MESSAGE);
        assertThat(schema.at("/properties/schemaVersion/maximum").asInt()).isEqualTo(UsageMessage.SCHEMA_VERSION);
    }
}
