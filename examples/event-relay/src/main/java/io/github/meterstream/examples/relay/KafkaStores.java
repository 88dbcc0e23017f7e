package io.github.meterstream.examples.relay;

import io.github.meterstream.core.config.ConfigException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the Kafka client's TLS and SASL settings ({@code kafka.*} pass-through keys) before the
 * consumer is created: Kafka itself would only report a bad store as a failing connection, over
 * and over. A store that is missing, unreadable, opened with the wrong password, or holding an
 * expired certificate fails the start with a {@link ConfigException} naming the key. Keystore and
 * truststore may be files (PKCS12, JKS, or PEM with {@code ssl.*.type=PEM}) or inline PEM
 * ({@code ssl.keystore.certificate.chain}, {@code ssl.truststore.certificates}).
 */
public final class KafkaStores {

    private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT");
    private static final Set<String> SASL_MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");
    private static final Pattern PEM_CERTIFICATE =
            Pattern.compile("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----");

    private KafkaStores() {
    }

    /** The certificate that expires first among those the relay presents or trusts. */
    public record Expiry(String key, String subject, Instant notAfter) {
        @Override
        public String toString() {
            return "certificate '" + subject + "' of " + key + " expires " + notAfter;
        }
    }

    /**
     * @param prefix the full prefix of the client properties, e.g. {@code relay.source.kafka.}, for errors
     * @return the first certificate to expire, or {@code null} when no store is configured
     */
    public static Expiry check(String prefix, Map<String, String> client) {
        String protocol = client.getOrDefault("security.protocol", "PLAINTEXT").trim().toUpperCase(Locale.ROOT);
        if (!PROTOCOLS.contains(protocol)) {
            throw new ConfigException(prefix + "security.protocol", "must be one of " + new java.util.TreeSet<>(PROTOCOLS)
                    + ", was '" + protocol + "'");
        }
        if (protocol.startsWith("SASL_")) {
            String mechanism = client.getOrDefault("sasl.mechanism", "GSSAPI").trim().toUpperCase(Locale.ROOT);
            if (!SASL_MECHANISMS.contains(mechanism)) {
                throw new ConfigException(prefix + "sasl.mechanism", "must be one of " + new java.util.TreeSet<>(SASL_MECHANISMS)
                        + " with " + protocol + ", was '" + mechanism + "'");
            }
            if (blank(client.get("sasl.jaas.config"))) {
                throw new ConfigException(prefix + "sasl.jaas.config", "is required with " + protocol + " (the "
                        + mechanism + " login module with username and password)");
            }
        }
        List<Expiry> expiries = new ArrayList<>();
        if (protocol.endsWith("SSL")) {
            expiries.addAll(store(prefix, client, "keystore", "ssl.keystore.certificate.chain"));
            expiries.addAll(store(prefix, client, "truststore", "ssl.truststore.certificates"));
        }
        return expiries.stream().min(java.util.Comparator.comparing(Expiry::notAfter)).orElse(null);
    }

    private static List<Expiry> store(String prefix, Map<String, String> client, String store, String inlinePemKey) {
        String type = client.getOrDefault("ssl." + store + ".type", "JKS").trim().toUpperCase(Locale.ROOT);
        String locationKey = "ssl." + store + ".location";
        String passwordKey = "ssl." + store + ".password";
        String location = client.get(locationKey);
        if (!blank(client.get(inlinePemKey))) {
            return certificates(prefix + inlinePemKey, pem(prefix + inlinePemKey, client.get(inlinePemKey)));
        }
        if (blank(location)) {
            return List.of();
        }
        Path file = Path.of(location.trim());
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(prefix + locationKey, "names no file: '" + file + "' does not exist");
        }
        if (!Files.isReadable(file)) {
            throw new ConfigException(prefix + locationKey, "names a file this process cannot read: '" + file + "'");
        }
        if (type.equals("PEM")) {
            try {
                return certificates(prefix + locationKey, pem(prefix + locationKey, Files.readString(file, StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                throw new ConfigException(prefix + locationKey, "cannot be read: " + e);
            }
        }
        String password = client.get(passwordKey);
        KeyStore keyStore;
        try (InputStream in = Files.newInputStream(file)) {
            keyStore = KeyStore.getInstance(type);
            keyStore.load(in, password == null ? null : password.toCharArray());
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
                throw new ConfigException(prefix + passwordKey, "does not open " + prefix + locationKey + " ('" + file
                        + "'): wrong password");
            }
            throw new ConfigException(prefix + locationKey, "cannot be read as a " + type + " store: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new ConfigException(prefix + locationKey, "cannot be read as a " + type + " store: " + e);
        }
        List<X509Certificate> certs = new ArrayList<>();
        try {
            for (String alias : Collections.list(keyStore.aliases())) {
                Certificate[] chain = keyStore.getCertificateChain(alias);
                if (chain != null) {
                    for (Certificate c : chain) {
                        certs.add((X509Certificate) c);
                    }
                } else if (keyStore.getCertificate(alias) instanceof X509Certificate c) {
                    certs.add(c);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new ConfigException(prefix + locationKey, "cannot be listed: " + e);
        }
        if (certs.isEmpty()) {
            throw new ConfigException(prefix + locationKey, "holds no certificate: '" + file + "'");
        }
        return certificates(prefix + locationKey, certs);
    }

    private static List<X509Certificate> pem(String key, String text) {
        List<X509Certificate> certs = new ArrayList<>();
        Matcher m = PEM_CERTIFICATE.matcher(text);
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            while (m.find()) {
                certs.add((X509Certificate) factory.generateCertificate(
                        new ByteArrayInputStream(m.group().getBytes(StandardCharsets.US_ASCII))));
            }
        } catch (GeneralSecurityException e) {
            throw new ConfigException(key, "holds a PEM certificate that cannot be read: " + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw new ConfigException(key, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    private static List<Expiry> certificates(String key, List<X509Certificate> certs) {
        Instant now = Instant.now();
        List<Expiry> out = new ArrayList<>();
        for (X509Certificate c : certs) {
            String subject = c.getSubjectX500Principal().getName();
            Instant notAfter = c.getNotAfter().toInstant();
            if (notAfter.isBefore(now)) {
                throw new ConfigException(key, "holds certificate '" + subject + "' that expired on " + notAfter);
            }
            if (c.getNotBefore().toInstant().isAfter(now)) {
                throw new ConfigException(key, "holds certificate '" + subject + "' that is valid only from " + c.getNotBefore().toInstant());
            }
            out.add(new Expiry(key, subject, notAfter));
        }
        return out;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
