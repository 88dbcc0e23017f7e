package io.github.meterstream.rabbitmq;

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
 * Settings RabbitMQ or the client refuse before anything is consumed: creating the config or
 * {@code start} fails with a message that names the full key (and never a password).
 */
@DisplayName("RabbitMQ source start-up errors name the key")
class RabbitMqStartupErrorsTest {

    private static final String PREFIX = "org.killbill.billing.plugin.meterstream.sources.usage.";
    private static final String SECRET = "s3cret-pw";

    @TempDir
    static Path dir;

    private static String truststore() throws Exception {
        Path file = dir.resolve("ca.p12");
        if (!Files.exists(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            try (OutputStream out = Files.newOutputStream(file)) {
                ks.store(out, "right-password".toCharArray());
            }
        }
        return file.toString();
    }

    static Stream<Arguments> cases() throws Exception {
        String host = RabbitMqTestBroker.HOST;
        String port = Integer.toString(RabbitMqTestBroker.PORT);
        return Stream.of(
                Arguments.of("a wrong password", Map.of("host", host, "port", port, "password", SECRET),
                        new String[] {PREFIX + "username", PREFIX + "password"}),
                Arguments.of("an unknown user", Map.of("host", host, "port", port, "username", "nobody-here", "password", SECRET),
                        new String[] {PREFIX + "username", PREFIX + "password"}),
                Arguments.of("wrong credentials in the uri", Map.of("uri", "amqp://guest:" + SECRET + "@" + host + ":" + port + "/%2F"),
                        new String[] {PREFIX + "uri"}),
                Arguments.of("a port out of range", Map.of("port", "70000"), new String[] {PREFIX + "port"}),
                Arguments.of("a truststore path that does not exist", Map.of("tls.enabled", "true",
                        "tls.truststore.path", dir.resolve("missing.p12").toString()), new String[] {PREFIX + "tls.truststore.path"}),
                Arguments.of("a wrong truststore password", Map.of("tls.enabled", "true", "tls.truststore.path", truststore(),
                        "tls.truststore.password", SECRET), new String[] {PREFIX + "tls.truststore.password"}),
                Arguments.of("a keystore path that does not exist", Map.of("tls.enabled", "true",
                        "tls.keystore.path", dir.resolve("no-keystore.p12").toString()), new String[] {PREFIX + "tls.keystore.path"}));
    }

    @ParameterizedTest(name = "{0} names {2}")
    @MethodSource("cases")
    void namesTheKey(String what, Map<String, String> settings, String[] keys) {
        RabbitMqTestBroker.requireReachable();
        Map<String, String> c = new HashMap<>(Map.of("queue", "startup-errors", "connection-timeout", "5s"));
        c.putAll(settings);
        Throwable thrown = catchThrowable(() -> {
            RabbitMqSource source = new RabbitMqSource("usage", RabbitMqSourceConfig.from(ConfigValues.of(PREFIX, c)));
            try {
                source.start(m -> { });
            } finally {
                source.close(Duration.ofSeconds(1));
            }
        });
        assertThat(thrown).as(what).isNotNull();
        assertThat(thrown.getMessage()).contains(keys).doesNotContain(SECRET);
    }
}
