package io.github.meterstream.kafka;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigValues;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Settings the Kafka clients refuse before connecting: {@code start} throws a {@link
 * ConfigException} naming the full key, so that the operator edits the right line. (Errors found
 * only when connecting, a closed port or a wrong certificate, show in health instead: see
 * {@link KafkaSourceHealthTruthTest} and {@link KafkaSourceTlsTest}.)
 */
@DisplayName("Kafka source start-up errors name the key")
class KafkaSourceStartupErrorsTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";
    private static final String STORE_PASSWORD = "right-password";

    @TempDir
    static Path dir;

    private static Path truststore() throws Exception {
        Path file = dir.resolve("truststore.p12");
        if (!Files.exists(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            try (OutputStream out = Files.newOutputStream(file)) {
                ks.store(out, STORE_PASSWORD.toCharArray());
            }
        }
        return file;
    }

    static Stream<Arguments> cases() throws Exception {
        String store = truststore().toString();
        return Stream.of(
                Arguments.of("an unresolvable host", Map.of("bootstrap-servers", "no-such-host.invalid:9092"),
                        "bootstrap-servers"),
                Arguments.of("a port that is not a number", Map.of("bootstrap-servers", "127.0.0.1:ninety"), "bootstrap-servers"),
                Arguments.of("an unknown security protocol", Map.of("kafka.security.protocol", "SSLL"), "kafka.security.protocol"),
                Arguments.of("a truststore path that does not exist", Map.of("kafka.security.protocol", "SSL",
                        "kafka.ssl.truststore.location", dir.resolve("missing.p12").toString(),
                        "kafka.ssl.truststore.password", STORE_PASSWORD), "kafka.ssl.truststore.location"),
                Arguments.of("a wrong truststore password", Map.of("kafka.security.protocol", "SSL",
                        "kafka.ssl.truststore.location", store, "kafka.ssl.truststore.type", "PKCS12",
                        "kafka.ssl.truststore.password", "wrong-password"), "kafka.ssl.truststore.password"),
                Arguments.of("a keystore path that does not exist", Map.of("kafka.security.protocol", "SSL",
                        "kafka.ssl.keystore.location", dir.resolve("no-keystore.p12").toString(),
                        "kafka.ssl.keystore.password", STORE_PASSWORD), "kafka.ssl.keystore.location"));
    }

    @ParameterizedTest(name = "{0} names {2}")
    @MethodSource("cases")
    void namesTheKey(String what, Map<String, String> settings, String key) {
        Map<String, String> c = new HashMap<>(Map.of("bootstrap-servers", "127.0.0.1:9092", "topics", "usage",
                "group-id", "usage-group"));
        c.putAll(settings);
        KafkaSource source = new KafkaSource("usage", KafkaSourceConfig.from(ConfigValues.of(PREFIX, c)));
        try {
            Throwable thrown = catchThrowable(() -> source.start(m -> { }));
            assertThat(thrown).as(what).isInstanceOf(ConfigException.class);
            assertThat(((ConfigException) thrown).key()).isEqualTo(PREFIX + key);
            assertThat(thrown.getMessage()).doesNotContain(STORE_PASSWORD).doesNotContain("wrong-password");
        } finally {
            source.close(Duration.ofSeconds(1));
        }
    }
}
