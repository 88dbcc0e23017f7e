package io.github.meterstream.examples.relay;

import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.pipeline.MessageContext;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("The outbox publisher while RabbitMQ is unreachable")
class OutboxPublisherTest {

    @Test
    @DisplayName("rows wait while RabbitMQ is cut off and are published, once each, when it is back")
    void rowsWaitForRabbitMq() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:outbox-rabbit-down;DB_CLOSE_DELAY=-1");
        EventRelay.migrate(h2);
        Set<String> ids = fillOutbox(new EventLog(h2, Dialect.H2), 12);
        try (TcpFaultProxy proxy = new TcpFaultProxy("127.0.0.1", 5672); RabbitCapture rabbit = new RabbitCapture()) {
            proxy.cut();
            ConnectionFactory viaProxy = new ConnectionFactory();
            viaProxy.setHost("127.0.0.1");
            viaProxy.setPort(proxy.port());
            viaProxy.setConnectionTimeout(1000);
            viaProxy.setAutomaticRecoveryEnabled(false);
            try (OutboxPublisher publisher = new OutboxPublisher(h2, viaProxy, "outbox-test", 5, Duration.ofSeconds(30),
                    Duration.ofSeconds(2), Duration.ofMillis(50), Clock.systemUTC())) {
                publisher.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> publisher.lastError() != null);
                assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM relay_outbox WHERE published_at IS NULL")).isEqualTo(12);
                assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM bie_event WHERE notified_at IS NULL")).isEqualTo(12);

                proxy.heal();
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM bie_event WHERE notified_at IS NULL") == 0);
                await().atMost(Duration.ofSeconds(10)).until(() -> rabbit.distinctIds(ids).equals(ids));
                assertThat(rabbit.of(ids)).as("nothing was confirmed while cut, so nothing is published twice").hasSize(12);
                assertThat(rabbit.of(ids)).allSatisfy(r -> assertThat(r.exchange()).isEqualTo("bie-events-contention-deleted"));
                assertThat(publisher.published()).isEqualTo(12);
                assertThat(publisher.lastError()).isNull();
            }
        }
    }

    @Test
    @DisplayName("published rows are deleted once older than the retention; unpublished rows never are")
    void publishedRowsArePurged() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:outbox-purge;DB_CLOSE_DELAY=-1");
        EventRelay.migrate(h2);
        EventLog log = new EventLog(h2, Dialect.H2);
        Set<String> ids = fillOutbox(log, 6);
        ConnectionFactory rabbitmq = new ConnectionFactory();
        rabbitmq.setHost("127.0.0.1");
        try (RabbitCapture rabbit = new RabbitCapture();
             OutboxPublisher publisher = new OutboxPublisher(h2, rabbitmq, "purge-test", 5, Duration.ofSeconds(30), Duration.ofSeconds(5),
                     Duration.ofMillis(50), Duration.ofMillis(1), Clock.systemUTC())) {
            publisher.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> rabbit.distinctIds(ids).equals(ids));
            await().atMost(Duration.ofSeconds(30)).until(() -> RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM relay_outbox") == 0);
            assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM bie_event WHERE notified_at IS NOT NULL")).isEqualTo(6);
        }
        fillOutbox(log, 2);
        try (OutboxPublisher idle = new OutboxPublisher(h2, rabbitmq, "purge-idle", 5, Duration.ofSeconds(30), Duration.ofSeconds(5),
                Duration.ofMillis(50), Duration.ofMillis(1), Clock.systemUTC())) {
            assertThat(idle.purgePublished()).isZero();
        }
        assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM relay_outbox WHERE published_at IS NULL")).isEqualTo(2);
    }

    /** Stores {@code n} events through the event log; returns their uuids, unique to this run. */
    private static Set<String> fillOutbox(EventLog log, int n) {
        BieEventContract contract = new BieEventContract(null, BieEventContract.DEFAULT_DETAIL_FIELDS);
        Set<String> ids = new HashSet<>();
        String run = Long.toString(System.nanoTime());
        for (int i = 0; i < n; i++) {
            InboundMessage m = InboundMessage.builder().payload(SampleEvents.event(7, i, List.of("9411")))
                    .coordinates(SourceCoordinates.of("relay", SampleEvents.DELETED, 0, i)).receivedAt(Instant.now())
                    .settler((msg, s) -> CompletableFuture.completedFuture(null)).build();
            // the run in the identity keeps message-ids apart from earlier runs on the same exchanges
            BieEvent e = contract.decode(m);
            BieEvent unique = new BieEvent(e.identity() + '/' + run, BieEvent.idOf(e.identity() + '/' + run), e.topic(), e.route(),
                    e.details(), e.eventAt(), e.benefitClaimId(), e.contentionId(), e.classification(), e.diagnosticCodes(),
                    e.receivedAt(), e.messagePayload());
            log.handle(unique, NO_CONTEXT);
            ids.add(unique.id().toString());
        }
        return ids;
    }

    @Test
    @DisplayName("two publishers on one PostgreSQL outbox never take the same row: each message is published once")
    void twoPublishersShareTheOutbox() throws Exception {
        try (Postgres pg = new Postgres(); RabbitCapture rabbit = new RabbitCapture()) {
            PGSimpleDataSource db = new PGSimpleDataSource();
            db.setUrl(pg.url());
            db.setUser(Postgres.USER);
            EventRelay.migrate(db);
            Set<String> ids = fillOutbox(new EventLog(db, Dialect.POSTGRESQL), 60);
            ConnectionFactory rabbitmq = new ConnectionFactory();
            rabbitmq.setHost("127.0.0.1");
            try (OutboxPublisher one = new OutboxPublisher(db, rabbitmq, "one", 5, Duration.ofSeconds(30), Duration.ofSeconds(5),
                    Duration.ofMillis(20), Clock.systemUTC());
                 OutboxPublisher two = new OutboxPublisher(db, rabbitmq, "two", 5, Duration.ofSeconds(30), Duration.ofSeconds(5),
                         Duration.ofMillis(20), Clock.systemUTC())) {
                one.start();
                two.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> pg.count("SELECT COUNT(*) FROM bie_event WHERE notified_at IS NULL") == 0);
                await().atMost(Duration.ofSeconds(10)).until(() -> rabbit.distinctIds(ids).equals(ids));
                System.out.printf("publisher one published %d, two %d%n", one.published(), two.published());
                assertThat(one.published() + two.published()).isEqualTo(60);
                assertThat(rabbit.of(ids)).as("no row published by both").hasSize(60);
                assertThat(pg.count("SELECT COUNT(*) FROM relay_outbox WHERE claims <> 1")).isZero();
            }
        }
    }

    private static final MessageContext NO_CONTEXT = new MessageContext() {
        @Override
        public SourceCoordinates coordinates() {
            return SourceCoordinates.of("relay", SampleEvents.DELETED, 0, 0);
        }

        @Override
        public int deliveryAttempt() {
            return 1;
        }

        @Override
        public int pipelineAttempt() {
            return 1;
        }

        @Override
        public Map<String, String> headers() {
            return Map.of();
        }
    };
}
