package io.github.meterstream.examples.relay;

import io.github.meterstream.kafka.EmbeddedKafka;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("The relay over a TLS Kafka listener, into H2 and RabbitMQ")
class RelayTlsIntegrationTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.withTls();

    @Test
    @DisplayName("events of two topics are stored with their diagnostic codes, without PII, and notified once on their topic's exchange")
    void storesAndNotifiesEveryEvent() throws Exception {
        KAFKA.createTopic(SampleEvents.ASSOCIATED, 2);
        KAFKA.createTopic(SampleEvents.DELETED, 1);
        RelayConfig config = new RelayProperties(KAFKA.tlsBootstrapServers(), "relay-tls",
                "jdbc:h2:mem:relay-tls;DB_CLOSE_DELAY=-1", null)
                .set("source.kafka.security.protocol", "SSL")
                .set("source.kafka.ssl.truststore.type", "PKCS12")
                .set("source.kafka.ssl.truststore.location", KAFKA.truststore().toString())
                .set("source.kafka.ssl.truststore.password", EmbeddedKafka.STORE_PASSWORD)
                .config();
        assertThat(config.certificateExpiry()).as("the broker certificate's expiry is known at start").isNotNull();

        try (RabbitCapture rabbit = new RabbitCapture(); EventRelay relay = new EventRelay(config)) {
            relay.start();
            for (int i = 0; i < 6; i++) {
                KAFKA.publish(SampleEvents.ASSOCIATED, "c" + i, SampleEvents.event(100 + i, 500 + i, List.of("6100", "62" + (i % 2))), Map.of());
            }
            for (int i = 0; i < 4; i++) {
                KAFKA.publish(SampleEvents.DELETED, "c" + i, SampleEvents.event(100 + i, 500 + i, List.of("6100")), Map.of());
            }
            Set<String> expectedIds = new HashSet<>();
            for (var r : KAFKA.readAll(SampleEvents.ASSOCIATED)) {
                expectedIds.add(BieEvent.idOf(r.topic() + '/' + r.partition() + '/' + r.offset()).toString());
            }
            for (var r : KAFKA.readAll(SampleEvents.DELETED)) {
                expectedIds.add(BieEvent.idOf(r.topic() + '/' + r.partition() + '/' + r.offset()).toString());
            }
            assertThat(expectedIds).hasSize(10);

            await().atMost(Duration.ofSeconds(60)).until(() -> rabbit.of(expectedIds).size() >= 10
                    && count(relay.dataSource(), "SELECT COUNT(*) FROM bie_event WHERE notified_at IS NOT NULL") == 10);

            DataSource db = relay.dataSource();
            assertThat(count(db, "SELECT COUNT(*) FROM bie_event")).isEqualTo(10);
            assertThat(count(db, "SELECT COUNT(*) FROM bie_event WHERE event_type = 'contention-associated'")).isEqualTo(6);
            assertThat(count(db, "SELECT COUNT(*) FROM bie_event WHERE event_type = 'contention-deleted'")).isEqualTo(4);
            assertThat(strings(db, "SELECT code FROM diagnostic_code ")).containsExactlyInAnyOrder("620", "621", "6100");
            assertThat(count(db, "SELECT COUNT(*) FROM bie_event_to_diagnostic_code")).isEqualTo(6 * 2 + 4);
            assertThat(strings(db, "SELECT CAST(id AS VARCHAR(36)) FROM bie_event")).containsExactlyInAnyOrderElementsOf(expectedIds);
            assertThat(strings(db, "SELECT DISTINCT classification FROM bie_event")).containsExactly("Hearing Loss");
            assertThat(count(db, "SELECT COUNT(*) FROM bie_event WHERE benefit_claim_id = '103' AND contention_id = '503'")).isEqualTo(2);
            List<String> details = strings(db, "SELECT event_details FROM bie_event");
            assertThat(details).allSatisfy(d -> assertThat(d).contains("\"claimId\"").contains("\"diagnosticCodes\"")
                    .doesNotContain(SampleEvents.PII_FIELD).doesNotContain("PII-").doesNotContain("actorUserId"));
            assertThat(count(db, "SELECT COUNT(*) FROM relay_outbox WHERE published_at IS NULL OR payload IS NOT NULL"))
                    .as("published rows keep no payload").isZero();

            List<ExampleSubscriber.Received> got = rabbit.of(expectedIds);
            assertThat(got).hasSize(10);
            assertThat(rabbit.distinctIds(expectedIds)).isEqualTo(expectedIds);
            for (ExampleSubscriber.Received r : got) {
                String topic = r.payload().path("topic").asText();
                assertThat(r.exchange()).isEqualTo(topic.equals(SampleEvents.ASSOCIATED)
                        ? "bie-events-contention-associated" : "bie-events-contention-deleted");
                assertThat(r.payload().path("notifiedAt").asText()).endsWith("Z");
                assertThat(r.payload().path("event").path(SampleEvents.PII_FIELD).asText())
                        .as("subscribers get the whole event").startsWith("PII-");
                assertThat(UUID.fromString(r.messageId())).isNotNull();
            }
            assertThat(relay.status()).contains("kafka TLS certificate 'CN=localhost'").contains("expires");
        }
    }

    static long count(DataSource db, String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static List<String> strings(DataSource db, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
