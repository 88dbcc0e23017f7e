package io.github.meterstream.examples.relay;

import io.github.meterstream.core.config.ConfigDocs;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.kafka.KafkaSourceConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Relay configuration is checked at start, and errors name the key")
class RelayConfigTest {

    private static final String PASSWORD = "store-pass";
    private static final String KAFKA = "relay.source.kafka.";

    @TempDir
    static Path dir;
    private static Path keystore;
    private static Path truststore;
    private static Path expiredKeystore;
    private static Path truststorePem;

    @BeforeAll
    static void stores() throws Exception {
        keystore = dir.resolve("client.p12");
        keytool("-genkeypair", "-alias", "client", "-keyalg", "RSA", "-keysize", "2048", "-validity", "30", "-dname", "CN=relay-client",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        Path cert = dir.resolve("client.pem");
        keytool("-exportcert", "-rfc", "-alias", "client", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-file", cert.toString());
        truststore = dir.resolve("trust.p12");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", truststore.toString(), "-storepass", PASSWORD);
        truststorePem = cert;
        expiredKeystore = dir.resolve("expired.p12");
        keytool("-genkeypair", "-alias", "old", "-keyalg", "RSA", "-keysize", "2048", "-startdate", "-3d", "-validity", "1",
                "-dname", "CN=expired-client", "-storetype", "PKCS12", "-keystore", expiredKeystore.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD);
    }

    private static RelayProperties tls() {
        return new RelayProperties("kafka:9093", "relay", "jdbc:h2:mem:cfg", null)
                .set("source.kafka.security.protocol", "SSL")
                .set("source.kafka.ssl.keystore.type", "PKCS12")
                .set("source.kafka.ssl.keystore.location", keystore.toString())
                .set("source.kafka.ssl.keystore.password", PASSWORD)
                .set("source.kafka.ssl.truststore.type", "PKCS12")
                .set("source.kafka.ssl.truststore.location", truststore.toString())
                .set("source.kafka.ssl.truststore.password", PASSWORD);
    }

    @Test
    @DisplayName("valid PKCS12 stores start, and the first certificate to expire is reported")
    void validStores() {
        RelayConfig config = tls().config();
        assertThat(config.certificateExpiry().subject()).isEqualTo("CN=relay-client");
        assertThat(config.certificateExpiry().toString()).contains("expires 20");
        assertThat(config.toString()).doesNotContain(PASSWORD);
    }

    @Test
    @DisplayName("a missing keystore names its location key")
    void missingKeystore() {
        assertThatThrownBy(() -> tls().set("source.kafka.ssl.keystore.location", dir.resolve("nope.p12").toString()).config())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(KAFKA + "ssl.keystore.location: names no file");
    }

    @Test
    @DisplayName("a wrong truststore password names the password key, and never prints it")
    void wrongPassword() {
        assertThatThrownBy(() -> tls().set("source.kafka.ssl.truststore.password", "not-it").config())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(KAFKA + "ssl.truststore.password: does not open")
                .hasMessageContaining("wrong password")
                .message().doesNotContain("not-it");
    }

    @Test
    @DisplayName("a store that is not a keystore names its location key")
    void unreadableStore() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.p12"), "not a keystore");
        assertThatThrownBy(() -> tls().set("source.kafka.ssl.keystore.location", junk.toString()).config())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(KAFKA + "ssl.keystore.");
    }

    @Test
    @DisplayName("an expired certificate fails the start with its expiry date")
    void expiredCertificate() {
        assertThatThrownBy(() -> tls().set("source.kafka.ssl.keystore.location", expiredKeystore.toString()).config())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(KAFKA + "ssl.keystore.location: holds certificate 'CN=expired-client' that expired on ");
    }

    @Test
    @DisplayName("a PEM truststore, as a file or inline, is read too")
    void pemTruststore() throws Exception {
        RelayConfig file = tls().set("source.kafka.ssl.truststore.type", "PEM")
                .set("source.kafka.ssl.truststore.location", truststorePem.toString())
                .set("source.kafka.ssl.truststore.password", "").config();
        assertThat(file.certificateExpiry()).isNotNull();
        RelayConfig inline = new RelayProperties("kafka:9093", "relay", "jdbc:h2:mem:cfg", null)
                .set("source.kafka.security.protocol", "SSL")
                .set("source.kafka.ssl.truststore.type", "PEM")
                .set("source.kafka.ssl.truststore.certificates", Files.readString(truststorePem, StandardCharsets.US_ASCII)).config();
        assertThat(inline.certificateExpiry().key()).isEqualTo(KAFKA + "ssl.truststore.certificates");
    }

    @Test
    @DisplayName("SASL_SSL needs PLAIN or SCRAM and a JAAS config")
    void sasl() {
        RelayProperties sasl = tls().set("source.kafka.security.protocol", "SASL_SSL").set("source.kafka.sasl.mechanism", "SCRAM-SHA-512");
        assertThatThrownBy(sasl::config).isInstanceOf(ConfigException.class).hasMessageStartingWith(KAFKA + "sasl.jaas.config: is required");
        sasl.set("source.kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"relay\" password=\"s3cret\";");
        assertThat(sasl.config().toString()).doesNotContain("s3cret");
        assertThatThrownBy(() -> sasl.set("source.kafka.sasl.mechanism", "GSSAPI").config())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith(KAFKA + "sasl.mechanism: must be one of");
    }

    @Test
    @DisplayName("a topic without an exchange, an unknown key and a bad value are refused by name")
    void otherErrors() {
        assertThatThrownBy(() -> tls().set("source.topics", "TST_SOMETHING_ELSE").config())
                .hasMessageStartingWith("relay.source.topics: names topic 'TST_SOMETHING_ELSE', which has no exchange");
        assertThatThrownBy(() -> tls().set("outbox.leese", "1m").config())
                .hasMessageStartingWith("relay.outbox.leese: is not a known key");
        assertThatThrownBy(() -> tls().set("outbox.batch-size", "0").config())
                .hasMessageStartingWith("relay.outbox.batch-size: must be at least 1");
        assertThatThrownBy(() -> tls().set("outbox.lease", "5s").set("outbox.confirm-timeout", "10s").config())
                .hasMessageStartingWith("relay.outbox.lease: must be longer than outbox.confirm-timeout");
        assertThatThrownBy(() -> tls().set("database.url", "jdbc:mysql://x/y").config())
                .hasMessageStartingWith("relay.database.url: must start with jdbc:postgresql: or jdbc:h2:");
    }

    @Test
    @DisplayName("the README's configuration tables are the key declarations")
    void readmeTables() throws Exception {
        Path readme = Path.of("README.md");
        List<ConfigDocs.Table> tables = List.of(
                ConfigDocs.Table.of(readme, "relay", RelayConfig.PREFIX, RelayConfig.KEYS),
                ConfigDocs.Table.of(readme, "relay-source", RelayConfig.PREFIX + RelayConfig.SOURCE_SECTION + '.', KafkaSourceConfig.KEYS),
                ConfigDocs.Table.of(readme, "relay-pipeline", RelayConfig.PREFIX + RelayConfig.PIPELINE_SECTION + '.', PipelineConfig.KEYS));
        assertThat(ConfigDocs.sync(tables)).isEmpty();
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
        }
    }
}
