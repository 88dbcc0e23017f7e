package io.github.meterstream.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceHealth;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("RabbitMQ source health tells the truth")
class RabbitMqSourceHealthTest {

    private static final String VHOST = "meterstream-test-" + UUID.randomUUID().toString().substring(0, 8);
    private static RabbitMqTestBroker broker;
    private final List<RabbitMqSource> sources = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void createVhost() {
        RabbitMqTestBroker.addVhost(VHOST);
        broker = new RabbitMqTestBroker(VHOST);
    }

    @AfterAll
    static void deleteVhost() throws Exception {
        broker.close();
        RabbitMqTestBroker.deleteVhost(VHOST);
    }

    @AfterEach
    void closeSources() {
        sources.forEach(s -> s.close(Duration.ofSeconds(2)));
    }

    private RabbitMqSource source(RabbitMqSourceConfig config) {
        RabbitMqSource s = new RabbitMqSource("usage", config);
        sources.add(s);
        return s;
    }

    private static void deleteQueue(String queue) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(RabbitMqTestBroker.HOST);
        f.setPort(RabbitMqTestBroker.PORT);
        f.setVirtualHost(VHOST);
        try (Connection c = f.newConnection(); Channel ch = c.createChannel()) {
            ch.queueDelete(queue);
        }
    }

    @Test
    @DisplayName("pointed at a closed port: CONNECTING since its start, not reset by each attempt, naming host and port")
    void closedPort() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RabbitMqSource source = source(broker.config("never-reached", "port", Integer.toString(port)));
        source.start(m -> { });
        Instant since = source.health().since();
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().detail().contains("Connection refused"));
        SourceHealth h = source.health();
        assertThat(h.state()).isEqualTo(SourceHealth.State.CONNECTING);
        assertThat(h.detail()).startsWith("test.host=" + RabbitMqTestBroker.HOST + ", test.port=" + port + ": ");
        assertThat(h.lag()).isNull();
        // reconnect-delay is 1 s here: several more attempts, the same since
        await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ofSeconds(3)).until(() -> true);
        assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTING);
        assertThat(source.health().since()).isEqualTo(since);
    }

    @Test
    @DisplayName("a work queue that does not exist (declare-topology=false): missingDestinations names it within 10 s and"
            + " clears within 10 s of its creation, then its messages are consumed")
    void missingQueue() throws Exception {
        RabbitMqSourceConfig config = broker.config("not-there-yet", "declare-topology", "false");
        broker.declare(config); // dead-letter and retry queues exist; the work queue is removed again
        deleteQueue("not-there-yet");
        RabbitMqSource source = source(config);
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        source.start(got::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().missingDestinations().equals(List.of("not-there-yet")));
        SourceHealth h = source.health();
        assertThat(h.state()).isEqualTo(SourceHealth.State.CONNECTING);
        assertThat(h.detail()).startsWith("test.queue=not-there-yet: ").contains("test.declare-topology=true");

        broker.declare(config);
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().missingDestinations().isEmpty()
                && source.health().isConnected());
        broker.publish("not-there-yet", "hello".getBytes(StandardCharsets.UTF_8), Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> !got.isEmpty());
    }

    @Test
    @DisplayName("a work queue deleted while consumed (declare-topology=false) shows as missing within 10 s, and clears"
            + " within 10 s of its creation")
    void queueDeletedWhileConsumed() throws Exception {
        RabbitMqSourceConfig config = broker.config("deleted-later", "declare-topology", "false");
        broker.declare(config);
        RabbitMqSource source = source(config);
        source.start(m -> m.ack());
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().isConnected());
        deleteQueue("deleted-later");
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().missingDestinations().equals(List.of("deleted-later")));
        assertThat(source.health().isConnected()).as("its consumer was cancelled").isFalse();
        broker.declare(config);
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().isConnected()
                && source.health().missingDestinations().isEmpty());
    }

    @Test
    @DisplayName("lag is unknown before the first check and then the queue's ready messages")
    void lag() throws Exception {
        RabbitMqSourceConfig config = broker.config("lagging", "prefetch", "10");
        broker.declare(config);
        for (int i = 0; i < 40; i++) {
            broker.publish("lagging", ("m" + i).getBytes(StandardCharsets.UTF_8), Map.of());
        }
        RabbitMqSource source = source(config);
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        assertThat(source.health().lag()).isNull();
        source.start(got::add);
        // 10 prefetched by the consumer (unacknowledged), 30 ready in the queue
        await().atMost(Duration.ofSeconds(15)).until(() -> Long.valueOf(30L).equals(source.health().lag()));
        while (!got.isEmpty() || source.health().lag() != 0L) {
            InboundMessage m = got.poll();
            if (m != null) {
                m.ack();
            }
            if (m == null) {
                await().atMost(Duration.ofSeconds(15)).until(() -> !got.isEmpty() || Long.valueOf(0L).equals(source.health().lag()));
            }
        }
        assertThat(source.health().lag()).isZero();
    }
}
