package io.github.meterstream.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceHealth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker cancels a consumer (basic.cancel) when its queue is deleted or, on a cluster, when the
 * queue's node goes down or a quorum queue's leader moves. The connection stays up, so the client's
 * recovery does nothing: the source has to subscribe again, and must not report CONNECTED while it
 * cannot.
 */
@DisplayName("A consumer cancelled by the broker")
class RabbitMqConsumerCancelTest {

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        broker.close();
    }

    private static String newQueue() {
        return "meterstream-cancel-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private RabbitMqSource started(RabbitMqSourceConfig config, BlockingQueue<InboundMessage> received) throws Exception {
        RabbitMqSource source = new RabbitMqSource("cancel-test", config);
        toClose.add(() -> source.close(Duration.ofSeconds(2)));
        source.start(received::add);
        broker.publish(config.queue(), "before".getBytes(StandardCharsets.UTF_8), Map.of());
        InboundMessage before = received.poll(30, TimeUnit.SECONDS);
        assertThat(before).isNotNull();
        before.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return source;
    }

    /** Whether {@code queue} exists, asked on a connection of its own (a failed passive declare closes the channel). */
    private static boolean exists(String queue) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(RabbitMqTestBroker.HOST);
        f.setPort(RabbitMqTestBroker.PORT);
        try (Connection c = f.newConnection("meterstream-test-probe"); Channel ch = c.createChannel()) {
            ch.queueDeclarePassive(queue);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    @DisplayName("re-declares its deleted queue as at start, consumes again, and a message published afterwards is received")
    void resubscribesAfterQueueDeleted() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "reconnect-delay", "500ms");
        broker.declare(config);
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        RabbitMqSource source = started(config, received);

        broker.deleteQueue(config.queue()); // the broker cancels the consumer (basic.cancel)
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .alias("the source re-declared queue " + config.queue()).until(() -> exists(config.queue()));
        broker.publish(config.queue(), "after".getBytes(StandardCharsets.UTF_8), Map.of());
        InboundMessage after = received.poll(15, TimeUnit.SECONDS);
        assertThat(after).as("a message published after the queue was deleted and re-declared").isNotNull();
        assertThat(after.payloadAsString()).isEqualTo("after");
        after.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().isConnected());
        assertThat(source.health().detail()).contains(config.queue());
        assertThat(broker.depth(config.queue())).isZero();
    }

    @Test
    @DisplayName("with declare-topology=false reports not CONNECTED, naming the queue, until the queue is back, then consumes again")
    void healthNamesTheMissingQueueUntilItIsBack() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "declare-topology", "false", "reconnect-delay", "500ms");
        broker.declare(config);
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        RabbitMqSource source = started(config, received);
        assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);

        broker.deleteQueue(config.queue());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .alias("health not CONNECTED after the queue was deleted").until(() -> !source.health().isConnected());
        assertThat(source.health().detail()).contains("'" + config.queue() + "'");
        assertThat(exists(config.queue())).as("the source does not create what it was told only to check").isFalse();

        broker.declare(config); // an operator re-creates it
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> source.health().isConnected());
        broker.publish(config.queue(), "after".getBytes(StandardCharsets.UTF_8), Map.of());
        InboundMessage after = received.poll(15, TimeUnit.SECONDS);
        assertThat(after).as("a message published after the queue was re-created").isNotNull();
        after.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /*
     * No basic.cancel reaches a consumer whose connection is down: the client's recovery then fails
     * to register it again (404), quietly, on a channel the broker closes.
     */
    @Test
    @DisplayName("whose queue was deleted while the connection was down declares it again after the recovery and consumes")
    void resubscribesWhenQueueVanishedDuringOutage() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        RabbitMqSourceConfig config = broker.config(newQueue(), "reconnect-delay", "3s");
        broker.declare(config);
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        RabbitMqSource source = new RabbitMqSource("outage-" + id, config);
        toClose.add(() -> source.close(Duration.ofSeconds(2)));
        source.start(received::add);

        RabbitMqTestBroker.closeConnection("meterstream-outage-" + id);
        broker.deleteQueue(config.queue()); // the source reconnects 3 s later
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .alias("the source re-declared queue " + config.queue()).until(() -> exists(config.queue()));
        broker.publish(config.queue(), "after".getBytes(StandardCharsets.UTF_8), Map.of());
        InboundMessage after = received.poll(15, TimeUnit.SECONDS);
        assertThat(after).as("a message published after the outage").isNotNull();
        after.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(source.health().isConnected()).isTrue();
    }
}
