package io.github.meterstream.examples.relay;

import io.github.meterstream.kafka.EmbeddedKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two relay instances, each a JVM of its own, in one consumer group; one is killed with SIGKILL
 * while events keep coming. What the killed one had stored but not committed in Kafka is
 * redelivered to the other and found as a duplicate key; what it had claimed in the outbox is
 * claimed again once its lease runs out. Re-published messages carry the same message-id.
 */
@DisplayName("Two relay instances, one killed mid-stream")
class RelayKillTest {

    private static final int EVENTS = 300;
    private static final int BATCH = 5;

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.ownBroker();

    @Test
    @DisplayName("every event is stored once and notified once, re-published at most for the rows the killed instance had in flight")
    void killedInstance() throws Exception {
        KAFKA.createTopic(SampleEvents.ASSOCIATED, 4);
        KAFKA.createTopic(SampleEvents.DELETED, 2);
        Path work = Files.createDirectories(Path.of("target", "relay-kill-test"));
        List<Process> processes = new ArrayList<>();
        try (Postgres pg = new Postgres(); RabbitCapture rabbit = new RabbitCapture()) {
            PGSimpleDataSource direct = new PGSimpleDataSource();
            direct.setUrl(pg.url());
            direct.setUser(Postgres.USER);
            EventRelay.migrate(direct);
            Path logA = work.resolve("relay-a.log");
            Path logB = work.resolve("relay-b.log");
            Process a = relayProcess(work, "a", pg, logA);
            processes.add(a);
            Process b = relayProcess(work, "b", pg, logB);
            processes.add(b);
            // both members own partitions before the stream starts (their status lines say so every second)
            await().atMost(Duration.ofSeconds(60)).until(() -> count(logA, "kafka CONNECTED") > 0 && count(logB, "kafka CONNECTED") > 0);

            AtomicInteger published = new AtomicInteger();
            Thread producer = new Thread(() -> {
                for (int i = 0; i < EVENTS; i++) {
                    String topic = i % 3 == 0 ? SampleEvents.DELETED : SampleEvents.ASSOCIATED;
                    KAFKA.publishAsync(topic, "k" + i, SampleEvents.event(9000 + i, i, List.of("80" + (i % 7))));
                    if (i % 10 == 9) {
                        KAFKA.flush();
                        published.set(i + 1);
                        sleepQuietly(100); // paces the stream (about 3 s) so that the kill lands in its middle
                    }
                }
                KAFKA.flush();
                published.set(EVENTS);
            }, "event-producer");
            producer.start();

            await().atMost(Duration.ofSeconds(60)).until(() -> count(logA, "stored ") >= 10);
            a.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no commit, no close
            int publishedAtKill = published.get();
            assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
            long storedAtKill = pg.count("SELECT COUNT(*) FROM bie_event");
            producer.join(60_000);

            await().atMost(Duration.ofSeconds(90)).until(() -> pg.count("SELECT COUNT(*) FROM bie_event WHERE notified_at IS NOT NULL") == EVENTS);

            Set<String> expected = new HashSet<>();
            for (String topic : List.of(SampleEvents.ASSOCIATED, SampleEvents.DELETED)) {
                for (ConsumerRecord<byte[], byte[]> r : KAFKA.readAll(topic)) {
                    expected.add(BieEvent.idOf(r.topic() + '/' + r.partition() + '/' + r.offset()).toString());
                }
            }
            assertThat(expected).hasSize(EVENTS);
            assertThat(pg.count("SELECT COUNT(*) FROM bie_event")).isEqualTo(EVENTS);
            assertThat(RelayTlsIntegrationTest.strings(direct, "SELECT CAST(id AS VARCHAR(36)) FROM bie_event"))
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(pg.count("SELECT COUNT(*) FROM relay_outbox WHERE published_at IS NOT NULL")).isEqualTo(EVENTS);

            await().atMost(Duration.ofSeconds(30)).until(() -> rabbit.distinctIds(expected).size() == EVENTS);
            int deliveries = rabbit.of(expected).size();
            long reclaimed = pg.count("SELECT COALESCE(SUM(claims - 1), 0) FROM relay_outbox");
            System.out.printf("killed instance a with %d of %d events published to Kafka, %d stored; RabbitMQ deliveries %d, distinct message-ids %d, "
                    + "re-published %d, outbox rows claimed again (in flight at the kill) %d%n",
                    publishedAtKill, EVENTS, storedAtKill, deliveries, EVENTS, deliveries - EVENTS, reclaimed);
            assertThat(publishedAtKill).as("the kill came mid-stream").isLessThan(EVENTS);
            assertThat(count(logB, "stored ")).as("the survivor took over").isPositive();
            assertThat(deliveries - EVENTS).as("duplicates only for rows claimed again").isLessThanOrEqualTo((int) reclaimed);
            assertThat(reclaimed).as("the killed instance held at most one batch").isLessThanOrEqualTo(BATCH);
            stop(processes); // before the schema is dropped
        } finally {
            stop(processes);
        }
    }

    private static Process relayProcess(Path work, String name, Postgres pg, Path log) throws IOException {
        RelayProperties props = new RelayProperties(KAFKA.bootstrapServers(), "relay-kill", pg.url(), Postgres.USER)
                .set("instance-id", "relay-" + name)
                .set("outbox.batch-size", Integer.toString(BATCH))
                .set("outbox.lease", "3s")
                .set("outbox.confirm-timeout", "2s")
                .set("source.kafka.session.timeout.ms", "3000")
                .set("source.kafka.consumer.max.poll.records", "20");
        Path file = work.resolve("relay-" + name + ".properties");
        try (Writer w = Files.newBufferedWriter(file)) {
            props.properties().store(w, "relay " + name);
        }
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx256m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log.io.github.meterstream.examples.relay=info",
                "-Drelay.status-interval-seconds=1",
                RelayMain.class.getName(), file.toString());
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void stop(List<Process> processes) throws InterruptedException {
        for (Process p : processes) {
            p.destroy(); // SIGTERM: the survivor shuts down cleanly
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static boolean started(Path log) throws IOException {
        return Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(RelayMain.STARTED);
    }

    private static long count(Path log, String text) throws IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.contains(text)).count();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
