package io.github.meterstream.rabbitmq;

import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Runs in a virtual host of its own so that closing "all connections" touches nobody else's. */
@DisplayName("Connections closed by the broker mid-stream")
class RabbitMqConnectionLossTest {

    private static final String VHOST = "meterstream-test-" + UUID.randomUUID().toString().substring(0, 8);

    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void createVhost() {
        RabbitMqTestBroker.addVhost(VHOST);
    }

    @AfterAll
    static void deleteVhost() {
        RabbitMqTestBroker.deleteVhost(VHOST);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    @Test
    @DisplayName("the source recovers by itself, reports DISCONNECTED then CONNECTED, and every id is handled")
    void recoversWithoutLosingAnything() throws Exception {
        RabbitMqTestBroker broker = new RabbitMqTestBroker(VHOST);
        RabbitMqSourceConfig config = broker.config("meterstream-recovery", "reconnect-delay", "2s", "prefetch", "50");
        broker.declare(config);
        int n = 2_000;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("usage-" + i);
        }
        broker.publishAll(config.queue(), ids);
        broker.disconnect(); // it would be closed below too; the queues go away with the vhost

        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch connectionsClosed = new CountDownLatch(1);
        MessageHandler<String> handler = (id, ctx) -> {
            int done = handled.size();
            if (done >= n / 4) {
                halfway.countDown();
                // hold the workers, with messages unacknowledged, until the broker has closed the connection
                connectionsClosed.await(60, TimeUnit.SECONDS);
            }
            handled.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            return MessageHandler.Outcome.PROCESSED;
        };
        RabbitMqSource source = new RabbitMqSource("recovery-test", config);
        ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract())
                .source(source).handler(handler).idempotencyStore(new InMemoryIdempotencyStore())
                .config(PipelineConfig.builder().concurrency(4).maxInFlight(200).build())
                .build();
        toClose.add(() -> pipeline.close(Duration.ofSeconds(5)));
        pipeline.start();

        assertThat(halfway.await(60, TimeUnit.SECONDS)).as("a quarter handled").isTrue();
        assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);
        RabbitMqTestBroker.closeAllConnections(VHOST);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> source.health().state() == SourceHealth.State.DISCONNECTED);
        connectionsClosed.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> source.health().state() == SourceHealth.State.CONNECTED);

        await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == n);
        assertThat(handled.values()).as("handler calls per id").allMatch(c -> c.get() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.stats().oldestUnsettledSince() == null);
        pipeline.close(Duration.ofSeconds(5));
        try (RabbitMqTestBroker after = new RabbitMqTestBroker(VHOST)) {
            assertThat(after.depth(config.queue())).as("messages left").isZero();
            after.deleteLater(config);
        }
    }

    @Test
    @DisplayName("a message delivered before the connection was lost cannot be acked afterwards and is delivered again")
    void settlingOnADeadChannelFails() throws Exception {
        RabbitMqTestBroker broker = new RabbitMqTestBroker(VHOST);
        RabbitMqSourceConfig config = broker.config("meterstream-dead-channel", "reconnect-delay", "500ms");
        broker.declare(config);
        broker.publish(config.queue(), "usage-1".getBytes(StandardCharsets.UTF_8), Map.of());
        broker.disconnect();
        RabbitMqSource source = new RabbitMqSource("dead-channel-test", config);
        toClose.add(() -> source.close(Duration.ofSeconds(2)));
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        source.start(received::add);
        InboundMessage before = received.poll(30, TimeUnit.SECONDS);
        assertThat(before).isNotNull();

        RabbitMqTestBroker.closeAllConnections(VHOST);
        InboundMessage again = received.poll(30, TimeUnit.SECONDS);
        assertThat(again).as("delivered again after recovery").isNotNull();
        assertThat(again.payloadAsString()).isEqualTo("usage-1");
        assertThat(again.deliveryAttempt()).isEqualTo(2);
        assertThat(before.ack().toCompletableFuture()).as("ack of the stale delivery").failsWithin(Duration.ofSeconds(10));
        again.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        source.close(Duration.ofSeconds(2));
        try (RabbitMqTestBroker after = new RabbitMqTestBroker(VHOST)) {
            assertThat(after.depth(config.queue())).isZero();
            after.deleteLater(config);
        }
    }
}
