package io.github.meterstream.examples.relay;

import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.kafka.EmbeddedKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The relay on embedded defaults, for a first look: an in-process Kafka broker with a TLS
 * listener, the local RabbitMQ (127.0.0.1:5672, guest/guest), H2 in memory. Publishes sample
 * events to the two topics (one of them malformed), then prints what was stored and what the
 * example subscriber received. Run it with the command in the module README.
 */
public final class RelayDemo {

    private RelayDemo() {
    }

    public static void main(String[] args) throws Exception {
        long began = System.nanoTime();
        EmbeddedKafka kafka = EmbeddedKafka.withTls();
        kafka.beforeAll(null); // the JUnit extension, started by hand: a broker of its own, PLAINTEXT + TLS listeners
        try {
            run(kafka);
        } finally {
            kafka.afterAll(null);
        }
        System.out.printf("%nDone in %d s.%n", (System.nanoTime() - began) / 1_000_000_000L);
        System.exit(0);
    }

    private static void run(EmbeddedKafka kafka) throws Exception {
        kafka.createTopic(SampleEvents.ASSOCIATED, 1);
        kafka.createTopic(SampleEvents.DELETED, 1);
        RelayConfig config = new RelayProperties(kafka.tlsBootstrapServers(), "event-relay-demo", "jdbc:h2:mem:relay-demo;DB_CLOSE_DELAY=-1", null)
                .set("source.kafka.security.protocol", "SSL")
                .set("source.kafka.ssl.truststore.type", "PKCS12")
                .set("source.kafka.ssl.truststore.location", kafka.truststore().toString())
                .set("source.kafka.ssl.truststore.password", EmbeddedKafka.STORE_PASSWORD)
                .config();
        ConnectionFactory rabbitmq = new ConnectionFactory();
        rabbitmq.setHost(config.get(RelayConfig.RABBITMQ_HOST));
        ConcurrentLinkedQueue<ExampleSubscriber.Received> received = new ConcurrentLinkedQueue<>();
        List<String> exchanges = TopicExchanges.ROUTES.stream().map(TopicExchanges.Route::exchange).toList();
        try (ExampleSubscriber subscriber = new ExampleSubscriber(rabbitmq, exchanges, received::add);
             EventRelay relay = new EventRelay(config)) {
            System.out.println("Example subscriber's queue " + subscriber.queue() + " is bound to " + exchanges);
            relay.start();
            kafka.publish(SampleEvents.ASSOCIATED, "c-501", SampleEvents.event(1001, 501, List.of("6260", "6100")), Map.of());
            kafka.publish(SampleEvents.ASSOCIATED, "c-502", SampleEvents.event(1001, 502, List.of("5237")), Map.of());
            kafka.publish(SampleEvents.ASSOCIATED, "c-503", SampleEvents.malformed(), Map.of());
            kafka.publish(SampleEvents.ASSOCIATED, "c-504", SampleEvents.event(1002, 504, List.of("6260")), Map.of());
            kafka.publish(SampleEvents.DELETED, "c-502", SampleEvents.event(1001, 502, List.of("5237")), Map.of());

            long deadline = System.nanoTime() + 60_000_000_000L;
            while (RelayTlsIntegrationTest.count(relay.dataSource(), "SELECT COUNT(*) FROM bie_event WHERE notified_at IS NOT NULL") < 4
                    || received.size() < 4 || relay.stats().deadLettered() < 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the demo did not finish within 60 s: " + relay.status());
                }
                Thread.sleep(100);
            }

            System.out.println("\n== Stored (bie_event; event_details keeps allow-listed fields only) ==");
            try (Connection c = relay.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT e.id, e.event_type, e.benefit_claim_id, e.contention_id, e.event_at, e.notified_at, "
                         + "(SELECT LISTAGG(d.diagnostic_code, ',') WITHIN GROUP (ORDER BY d.diagnostic_code) FROM bie_event_to_diagnostic_code d "
                         + "WHERE d.bie_event_id = e.id) AS codes, e.event_details FROM bie_event e ORDER BY e.created_at")) {
                while (rs.next()) {
                    System.out.printf("%s %-21s claim %s contention %s codes %-9s event_at %s notified_at %s%n    details %s%n",
                            rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(7), rs.getString(5),
                            rs.getString(6), rs.getString(8));
                }
            }
            System.out.println("\n== Notified (what the example subscriber received from RabbitMQ) ==");
            for (ExampleSubscriber.Received r : received) {
                System.out.printf("%s on %s: topic %s, notifiedAt %s, event with %d fields%n", r.messageId(), r.exchange(),
                        r.payload().path("topic").asText(), r.payload().path("notifiedAt").asText(), r.payload().path("event").size());
            }
            System.out.println("\n== Dead-lettered (Kafka topic " + SampleEvents.ASSOCIATED + ".dlq) ==");
            for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(SampleEvents.ASSOCIATED + ".dlq")) {
                Header code = r.headers().lastHeader(DeadLetterEnvelope.REASON_CODE);
                Header reason = r.headers().lastHeader(DeadLetterEnvelope.REASON);
                System.out.printf("%s: %s%n", new String(code.value(), StandardCharsets.UTF_8), new String(reason.value(), StandardCharsets.UTF_8));
            }
            System.out.println("\n== Status ==\n" + relay.status());
        }
    }
}
