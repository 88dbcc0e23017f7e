package io.github.meterstream.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.rabbitmq.internal.Topology;
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
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the broker itself does with our messages on quorum queues: the move of a retry copy from its
 * delay queue back to the work queue, and the broker's own delivery limit. Neither may lose a
 * message or dead-letter it without Meterstream's envelope.
 */
@DisplayName("On quorum queues the broker")
class RabbitMqQuorumSafetyTest {

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
        return "meterstream-quorum-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /*
     * At-most-once dead-lettering (the default) drops an expired message that cannot be routed: a
     * retry copy expiring while the work queue is missing was gone for good. At-least-once keeps it
     * in the delay queue (counted in "messages", not "ready") until the work queue takes it; the
     * broker retries that on its own schedule (minutes on 3.10), longer than this test waits.
     */
    @Test
    @DisplayName("keeps a retry copy that expired while the work queue was missing, instead of dropping it")
    void expiredRetryCopyIsKeptWhileWorkQueueIsMissing() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "queue-type", "quorum", "retry.delays", "5s");
        broker.declare(config);
        String retryQueue = config.retryQueue(Duration.ofSeconds(5));
        RabbitMqSource source = new RabbitMqSource("quorum-retry-test", config);
        toClose.add(() -> source.close(Duration.ofSeconds(2)));
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        source.start(received::add);
        broker.publish(config.queue(), "flaky".getBytes(StandardCharsets.UTF_8), Map.of());
        InboundMessage m = received.poll(30, TimeUnit.SECONDS);
        assertThat(m).isNotNull();
        m.retryAfter(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS); // copy confirmed, original acked
        // within the copy's 5 s: stop consuming (a cancelled consumer would declare the queue again), delete the work queue
        source.close(Duration.ofSeconds(2));
        broker.deleteQueue(config.queue());
        assertThat(broker.depth(retryQueue)).as("the copy waits in " + retryQueue).isEqualTo(1);

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).alias("the copy expired")
                .until(() -> broker.depth(retryQueue) == 0);
        // rabbitmqctl's figures for quorum queues are refreshed every few seconds: read one snapshot
        // saying the copy is no longer ready, and in it how many messages the queue still holds
        AtomicReference<RabbitMqTestBroker.QueueCounts> afterExpiry = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).alias("rabbitmqctl shows the expiry")
                .until(() -> {
                    afterExpiry.set(RabbitMqTestBroker.counts("/", retryQueue));
                    return afterExpiry.get().ready == 0;
                });
        assertThat(afterExpiry.get().messages).as("copies the broker still holds in " + retryQueue + " (" + afterExpiry.get() + ')')
                .isEqualTo(1);
    }

    @Test
    @DisplayName("never dead-letters a message by its delivery limit: the work queue declares one far above any attempt count")
    void deliveryLimitIsExplicitAndHigh() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "queue-type", "quorum");
        broker.declare(config);
        assertThat(RabbitMqTestBroker.arguments("/", config.queue())).contains("{\"x-delivery-limit\"," + Topology.QUORUM_DELIVERY_LIMIT + "}");

        // RabbitMQ 4.x dead-letters after 20 returns by default, without our envelope; 25 returns here
        broker.publish(config.queue(), "returned".getBytes(StandardCharsets.UTF_8), Map.of());
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(RabbitMqTestBroker.HOST);
        f.setPort(RabbitMqTestBroker.PORT);
        try (Connection c = f.newConnection("meterstream-test-returns"); Channel ch = c.createChannel()) {
            for (int i = 0; i < 25; i++) {
                GetResponse r = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> ch.basicGet(config.queue(), false), java.util.Objects::nonNull);
                ch.basicNack(r.getEnvelope().getDeliveryTag(), false, true);
            }
            GetResponse last = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                    .until(() -> ch.basicGet(config.queue(), false), java.util.Objects::nonNull);
            assertThat(last.getProps().getHeaders()).containsEntry("x-delivery-count", 25L);
            ch.basicAck(last.getEnvelope().getDeliveryTag(), false);
        }
        assertThat(broker.depth(config.deadLetterQueue())).as("dead-lettered by the broker").isZero();
    }
}
