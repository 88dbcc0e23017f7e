package io.github.meterstream.core.usage;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.github.meterstream.core.failure.PermanentFailure;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every sample of {@code usage-corpus} through both readers of the format: the JSON Schema that
 * producers can check against, and the consumer's Java path (decode + Bean Validation). They must
 * agree, except on the {@link #JAVA_ONLY_RULES} samples.
 */
@DisplayName("The usage corpus")
class UsageMessageCorpusTest {

    /**
     * Invalid samples that break a rule the JSON Schema cannot state; the schema accepts them and
     * only the consumer refuses them. Each entry says why, and the test checks that the schema
     * really does accept it, so the list cannot hide a schema bug.
     */
    static final Map<String, String> JAVA_ONLY_RULES = Map.of(
            "record-date-february-30.json", "calendar validity: a pattern cannot know month lengths",
            "too-many-records-over-all-units.json", "the record limit is a sum over unit types, and configurable",
            "duplicate-field.json", "JSON parsers keep one of two values for a repeated name; the schema never sees both");

    private static final Path CORPUS = corpus();
    private static final ObjectMapper STRICT_JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private static JsonSchema schema;
    private static Map<String, String[]> expected;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = UsageMessage.class.getResourceAsStream(UsageMessage.SCHEMA_RESOURCE)) {
            assertThat(in).as("schema resource " + UsageMessage.SCHEMA_RESOURCE).isNotNull();
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(STRICT_JSON.readTree(in));
        }
        expected = new LinkedHashMap<>();
        for (String line : Files.readAllLines(CORPUS.resolve("invalid/EXPECTED.txt"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] parts = line.trim().split("\\s+", 3);
                expected.put(parts[0], parts);
            }
        }
    }

    static Stream<String> validSamples() {
        return samples("valid").stream();
    }

    static Stream<String> invalidSamples() {
        return samples("invalid").stream();
    }

    @Test
    @DisplayName("has at least 12 valid and 20 invalid samples, each invalid one with its expected reason")
    void isLargeEnoughAndFullyDescribed() {
        assertThat(samples("valid")).hasSizeGreaterThanOrEqualTo(12);
        assertThat(samples("invalid")).hasSizeGreaterThanOrEqualTo(20);
        assertThat(expected.keySet()).containsExactlyInAnyOrderElementsOf(samples("invalid"));
        assertThat(samples("invalid")).containsAll(JAVA_ONLY_RULES.keySet());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validSamples")
    @DisplayName("valid sample is accepted by the schema and by the consumer")
    void validSampleIsAcceptedByBoth(String name) {
        byte[] payload = read("valid/" + name);
        assertThat(schemaErrors(payload)).as("schema errors").isEmpty();
        assertThat(javaFailure(payload)).as("consumer failure").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSamples")
    @DisplayName("invalid sample is refused by the consumer with its expected reason, and by the schema unless Java-only")
    void invalidSampleIsRefusedByBoth(String name) {
        byte[] payload = read("invalid/" + name);
        String[] expectation = expected.get(name);

        Optional<PermanentFailure> failure = javaFailure(payload);
        assertThat(failure).as("consumer failure").isPresent();
        assertThat(failure.get().reasonCode()).isEqualTo(expectation[1]);
        assertThat(failure.get().getMessage()).contains(expectation[2]);

        if (JAVA_ONLY_RULES.containsKey(name)) {
            assertThat(schemaErrors(payload)).as("a Java-only sample the schema accepts").isEmpty();
        } else {
            assertThat(schemaErrors(payload)).as("schema errors").isNotEmpty();
        }
    }

    private static Optional<PermanentFailure> javaFailure(byte[] payload) {
        return UsageTestSupport.check(new UsageMessageContract(), payload);
    }

    /** Schema errors; a payload that is not JSON at all is one error. */
    private static Set<String> schemaErrors(byte[] payload) {
        JsonNode instance;
        try {
            instance = STRICT_JSON.readTree(payload);
        } catch (IOException e) {
            return Set.of("not JSON: " + e.getMessage());
        }
        return schema.validate(instance).stream().map(ValidationMessage::getMessage).collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<String> samples(String dir) {
        try (Stream<Path> files = Files.list(CORPUS.resolve(dir))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(String relative) {
        try {
            return Files.readAllBytes(CORPUS.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path corpus() {
        try {
            return Path.of(UsageMessageCorpusTest.class.getResource("/usage-corpus").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
