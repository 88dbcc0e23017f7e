package io.github.meterstream.examples.relay;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.kafka.EmbeddedKafka;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("The relay while PostgreSQL is unreachable")
class RelayDatabaseOutageTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.ownBroker();

    @Test
    @DisplayName("a cut database pauses consumption, nothing is skipped once it is back, and a malformed event is dead-lettered")
    void pausesAndResumesWithoutLoss() throws Exception {
        KAFKA.createTopic(SampleEvents.ASSOCIATED, 1);
        KAFKA.createTopic(SampleEvents.DELETED, 1);
        try (Postgres pg = new Postgres(); TcpFaultProxy proxy = new TcpFaultProxy("127.0.0.1", 5432);
             RabbitCapture rabbit = new RabbitCapture()) {
            PGSimpleDataSource direct = new PGSimpleDataSource();
            direct.setUrl(pg.url());
            direct.setUser(Postgres.USER);
            RelayConfig config = new RelayProperties(KAFKA.bootstrapServers(), "relay-outage", pg.url("127.0.0.1:" + proxy.port()), Postgres.USER)
                    .set("database.connect-timeout", "500ms")
                    .set("source.kafka.consumer.max.poll.records", "5")
                    .config();
            try (EventRelay relay = new EventRelay(config)) {
                relay.start();
                for (int i = 0; i < 5; i++) {
                    KAFKA.publish(SampleEvents.ASSOCIATED, null, SampleEvents.event(1, i, List.of("7101")), Map.of());
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> pg.count("SELECT COUNT(*) FROM bie_event WHERE notified_at IS NOT NULL") == 5);

                proxy.cut();
                for (int i = 5; i < 10; i++) {
                    KAFKA.publish(SampleEvents.ASSOCIATED, null, SampleEvents.event(1, i, List.of("7101")), Map.of());
                }
                KAFKA.publish(SampleEvents.ASSOCIATED, null, SampleEvents.malformed(), Map.of());
                for (int i = 10; i < 15; i++) {
                    KAFKA.publish(SampleEvents.ASSOCIATED, null, SampleEvents.event(1, i, List.of("7101")), Map.of());
                    KAFKA.publish(SampleEvents.DELETED, null, SampleEvents.event(1, i, List.of("7102")), Map.of());
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> relay.stats().state() == ConsumerPipeline.State.CIRCUIT_OPEN);
                assertThat(pg.count("SELECT COUNT(*) FROM bie_event")).as("nothing stored while cut").isEqualTo(5);
                assertThat(relay.stats().deadLettered()).as("no event given up for the outage").isLessThanOrEqualTo(1);

                proxy.heal();
                await().atMost(Duration.ofSeconds(90)).until(() -> pg.count("SELECT COUNT(*) FROM bie_event WHERE notified_at IS NOT NULL") == 20);

                Set<String> expected = new java.util.HashSet<>();
                for (String topic : List.of(SampleEvents.ASSOCIATED, SampleEvents.DELETED)) {
                    for (ConsumerRecord<byte[], byte[]> r : KAFKA.readAll(topic)) {
                        if (r.value()[r.value().length - 1] == '}') {
                            expected.add(BieEvent.idOf(r.topic() + '/' + r.partition() + '/' + r.offset()).toString());
                        }
                    }
                }
                assertThat(expected).hasSize(20);
                assertThat(RelayTlsIntegrationTest.strings(direct, "SELECT CAST(id AS VARCHAR(36)) FROM bie_event"))
                        .containsExactlyInAnyOrderElementsOf(expected);
                await().atMost(Duration.ofSeconds(30)).until(() -> rabbit.distinctIds(expected).equals(expected));
                List<ConsumerRecord<byte[], byte[]>> dead = KAFKA.readAll(SampleEvents.ASSOCIATED + ".dlq");
                assertThat(dead).hasSize(1);
                assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo(new String(SampleEvents.malformed(), StandardCharsets.UTF_8));
                Map<String, String> headers = java.util.Arrays.stream(dead.get(0).headers().toArray())
                        .collect(Collectors.toMap(h -> h.key(), h -> new String(h.value(), StandardCharsets.UTF_8), (a, b) -> b));
                assertThat(headers).containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.MALFORMED_PAYLOAD);
                assertThat(relay.stats().deadLettered()).isEqualTo(1);
                assertThat(relay.status()).contains("outbox 0 waiting");
            }
        }
    }
}
