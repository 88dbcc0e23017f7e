package io.github.meterstream.activemq;

import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.source.SourceHealth;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Wrong settings, each found where it can be (creating the config, or the first connection
 * attempt, then in health as {@code CONNECTING}): what the operator reads names the full key and
 * never a password.
 */
@DisplayName("ActiveMQ source start-up errors name the key")
class ActiveMqStartupErrorsTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";
    private static final String SECRET = "s3cret-pw";

    @TempDir
    static Path dir;

    private static String store() throws Exception {
        Path file = dir.resolve("store.p12");
        if (!Files.exists(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            try (OutputStream out = Files.newOutputStream(file)) {
                ks.store(out, "right-password".toCharArray());
            }
        }
        return file.toString();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Stream<Arguments> cases() throws Exception {
        String tcp = "tcp://127.0.0.1:" + freePort();
        String ssl = "ssl://127.0.0.1:" + freePort();
        return Stream.of(
                Arguments.of("no broker-url", Map.of(), PREFIX + "broker-url"),
                Arguments.of("a broker-url that is not one", Map.of("broker-url", "http://broker:8161"), PREFIX + "broker-url"),
                Arguments.of("a closed port", Map.of("broker-url", tcp), PREFIX + "broker-url=" + tcp),
                Arguments.of("a truststore that does not exist", Map.of("broker-url", ssl,
                        "tls.truststore.path", dir.resolve("missing.p12").toString()), PREFIX + "tls.truststore.path"),
                Arguments.of("a wrong truststore password", Map.of("broker-url", ssl, "tls.truststore.path", store(),
                        "tls.truststore.type", "PKCS12", "tls.truststore.password", SECRET), PREFIX + "tls.truststore.password"),
                Arguments.of("a wrong keystore password", Map.of("broker-url", ssl, "tls.keystore.path", store(),
                        "tls.keystore.type", "PKCS12", "tls.keystore.password", SECRET), PREFIX + "tls.keystore.password"),
                Arguments.of("a consumer count of zero", Map.of("broker-url", tcp, "consumers", "0"), PREFIX + "consumers"));
    }

    @ParameterizedTest(name = "{0} names {2}")
    @MethodSource("cases")
    void namesTheKey(String what, Map<String, String> settings, String key) {
        Map<String, String> c = new HashMap<>(Map.of("queue", "usage", "reconnect-delay", "500ms"));
        c.putAll(settings);
        String said;
        ActiveMqSource source = null;
        try {
            source = new ActiveMqSource("usage", ActiveMqSourceConfig.from(ConfigValues.of(PREFIX, c)));
            source.start(m -> { });
            ActiveMqSource started = source;
            await().atMost(Duration.ofSeconds(10)).until(() -> !started.health().detail().startsWith("connecting to"));
            assertThat(started.health().state()).as(what).isEqualTo(SourceHealth.State.CONNECTING);
            said = started.health().detail();
        } catch (RuntimeException e) {
            said = e.getMessage();
        } finally {
            if (source != null) {
                source.close(Duration.ofSeconds(1));
            }
        }
        assertThat(said).as(what).contains(key).doesNotContain(SECRET);
    }
}
