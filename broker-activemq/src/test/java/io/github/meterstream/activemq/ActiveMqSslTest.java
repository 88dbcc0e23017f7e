package io.github.meterstream.activemq;

import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.config.ConfigValues;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("An ssl:// connector that requires client certificates")
class ActiveMqSslTest {

    static final TestCertificates certs = TestCertificates.generate();

    @RegisterExtension
    static final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker(certs.brokerStores());

    @AfterAll
    static void deleteCertificates() throws Exception {
        certs.delete();
    }

    private static ActiveMqSource source(String name, boolean withClientStores) {
        Map<String, String> values = new HashMap<>(Map.of("broker-url", broker.sslUrl(), "queue", "usage-tls",
                "reconnect-delay", "200ms", "tls.truststore.path", certs.clientTrustStore.toString(),
                "tls.truststore.password", TestCertificates.PASSWORD));
        if (withClientStores) {
            values.put("tls.keystore.path", certs.clientKeyStore.toString());
            values.put("tls.keystore.password", TestCertificates.PASSWORD);
        }
        return new ActiveMqSource(name, ActiveMqSourceConfig.from(ConfigValues.of("sources." + name + ".", values)));
    }

    @Test
    @DisplayName("with the configured key store and trust store, messages arrive over TLS")
    void consumesOverTls() throws Exception {
        broker.publish("usage-tls", "over tls".getBytes(StandardCharsets.UTF_8), Map.of());
        ActiveMqSource source = source("tls", true);
        try {
            BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
            source.start(got::add);
            InboundMessage m = got.poll(30, TimeUnit.SECONDS);
            assertThat(m).as("a message delivered over ssl:// within 30 s").isNotNull();
            assertThat(m.payloadAsString()).isEqualTo("over tls");
            m.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }

    @Test
    @DisplayName("without a client certificate the broker refuses: health stays CONNECTING and says why, naming broker-url,"
            + " never a password")
    void refusedWithoutClientCertificate() {
        ActiveMqSource source = source("tls-no-cert", false);
        try {
            source.start(m -> { });
            await().atMost(Duration.ofSeconds(30)).until(() -> !source.health().detail().startsWith("connecting to"));
            assertThat(source.health().state()).as("it never connected").isEqualTo(SourceHealth.State.CONNECTING);
            assertThat(source.health().detail()).contains("broker-url=").doesNotContain(TestCertificates.PASSWORD);
            assertThat(source.config().toString()).doesNotContain(TestCertificates.PASSWORD).contains("******");
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }
}
