package io.github.meterstream.activemq;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A broker key pair and a client key pair in PKCS12 stores, each trusting the other, made with the
 * JDK's own {@code keytool} (run from {@code java.home/bin}) in a temporary directory.
 */
final class TestCertificates {

    static final String PASSWORD = "test-store-pass";

    final Path dir;
    final Path brokerKeyStore;
    final Path brokerTrustStore;
    final Path clientKeyStore;
    final Path clientTrustStore;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.brokerKeyStore = dir.resolve("broker-key.p12");
        this.brokerTrustStore = dir.resolve("broker-trust.p12");
        this.clientKeyStore = dir.resolve("client-key.p12");
        this.clientTrustStore = dir.resolve("client-trust.p12");
    }

    static TestCertificates generate() {
        try {
            TestCertificates c = new TestCertificates(Files.createTempDirectory("meterstream-activemq-tls-"));
            c.keyPair("broker", c.brokerKeyStore, "CN=localhost", "SAN=ip:127.0.0.1,dns:localhost");
            c.keyPair("client", c.clientKeyStore, "CN=meterstream-client", null);
            c.trust(c.brokerKeyStore, "broker", c.clientTrustStore);
            c.trust(c.clientKeyStore, "client", c.brokerTrustStore);
            return c;
        } catch (IOException e) {
            throw new IllegalStateException("cannot generate test certificates with keytool: " + e.getMessage(), e);
        }
    }

    /** Deletes the stores and certificates. */
    void delete() throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    EmbeddedActiveMqBroker.BrokerKeyStore brokerStores() {
        return new EmbeddedActiveMqBroker.BrokerKeyStore(brokerKeyStore, brokerTrustStore, PASSWORD);
    }

    private void keyPair(String alias, Path store, String dname, String san) throws IOException {
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "RSA", "-keysize", "2048",
                "-validity", "2", "-dname", dname, "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD));
        if (san != null) {
            args.addAll(List.of("-ext", san));
        }
        keytool(args);
    }

    private void trust(Path keyStore, String alias, Path trustStore) throws IOException {
        Path cert = dir.resolve(alias + ".crt");
        keytool(List.of("-exportcert", "-alias", alias, "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-file", cert.toString()));
        keytool(List.of("-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", trustStore.toString(), "-storepass", PASSWORD));
    }

    private static void keytool(List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool did not finish within 60 s: " + args.get(0));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("keytool " + args.get(0) + " failed (exit " + p.exitValue() + "): " + output);
        }
    }
}
