package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Connection settings from configuration (no broker needed)")
class ClientConnectionFactoryTest {

    @TempDir
    static Path dir;
    static Path store;

    /** A PKCS12 store with one self-signed key pair, made by the JDK's keytool. */
    @BeforeAll
    static void createStore() throws Exception {
        store = dir.resolve("client.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "client", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=meterstream-test", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "store-pass", "-keypass", "store-pass").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    private static RabbitMqSourceConfig config(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("queue", "usage");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return RabbitMqSourceConfig.from(ConfigValues.of("test.", m));
    }

    @Test
    @DisplayName("address, credentials and automatic recovery are set")
    void plain() {
        ConnectionFactory f = ClientConnectionFactory.create(config("host", "rabbit.internal", "port", "5673",
                "virtual-host", "billing", "username", "meter", "password", "pw", "reconnect-delay", "2s"), "usage");
        assertThat(f.getHost()).isEqualTo("rabbit.internal");
        assertThat(f.getPort()).isEqualTo(5673);
        assertThat(f.getVirtualHost()).isEqualTo("billing");
        assertThat(f.getUsername()).isEqualTo("meter");
        assertThat(f.isAutomaticRecoveryEnabled()).isTrue();
        assertThat(f.isTopologyRecoveryEnabled()).isTrue();
        assertThat(f.getNetworkRecoveryInterval()).isEqualTo(2000);
        assertThat(f.isSSL()).isFalse();
    }

    @Test
    @DisplayName("TLS uses the PKCS12 trust and key stores")
    void tls() {
        ConnectionFactory f = ClientConnectionFactory.create(config("uri", "amqps://meter:pw@rabbit.internal/billing",
                "tls.truststore.path", store.toString(), "tls.truststore.password", "store-pass",
                "tls.keystore.path", store.toString(), "tls.keystore.password", "store-pass"), "usage");
        assertThat(f.isSSL()).isTrue();
        assertThat(f.getHost()).isEqualTo("rabbit.internal");
        assertThat(f.getPort()).isEqualTo(5671);
        assertThat(f.getVirtualHost()).isEqualTo("billing");
    }

    @Test
    @DisplayName("a wrong store password names the key and does not show the password")
    void wrongStorePassword() {
        assertThatThrownBy(() -> ClientConnectionFactory.create(config("tls.enabled", "true",
                "tls.truststore.path", store.toString(), "tls.truststore.password", "wrong-secret"), "usage"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("test.tls.truststore.password")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-secret"));
    }
}
