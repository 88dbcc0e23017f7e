package io.github.meterstream.rabbitmq.internal;

import io.github.meterstream.core.source.DeliveryGate;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import io.github.meterstream.rabbitmq.RabbitMqTestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("A consumer channel the broker closed on its own")
class ConsumerChannelTest {

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");
    private Connection connection;
    private final DeliveryGate gate = new DeliveryGate();

    @AfterEach
    void tearDown() throws Exception {
        gate.stop();
        if (connection != null) {
            connection.abort();
        }
        broker.close();
    }

    @Test
    @DisplayName("is reopened, and consuming goes on")
    void reopensAfterChannelError() throws Exception {
        RabbitMqSourceConfig config = broker.config("meterstream-reopen-" + UUID.randomUUID().toString().substring(0, 8));
        broker.declare(config);
        ConnectionFactory f = ClientConnectionFactory.create(config, "reopen-test");
        connection = f.newConnection();
        BlockingQueue<Delivery> received = new LinkedBlockingQueue<>();
        ConsumerChannel consumer = new ConsumerChannel(connection, "reopen-test", config.queue(), gate, received::add);
        consumer.start(10);
        broker.publish(config.queue(), "one".getBytes(StandardCharsets.UTF_8), Map.of());
        Delivery one = received.poll(30, TimeUnit.SECONDS);
        assertThat(one).isNotNull();
        consumer.ack(one).get(10, TimeUnit.SECONDS);
        // acking the same tag again is a channel error: the broker closes the channel (406 unknown delivery tag)
        consumer.ack(one).get(10, TimeUnit.SECONDS);

        broker.publish(config.queue(), "two".getBytes(StandardCharsets.UTF_8), Map.of());
        Delivery two = received.poll(30, TimeUnit.SECONDS);
        assertThat(two).as("delivered on the reopened channel").isNotNull();
        assertThat(new String(two.body(), StandardCharsets.UTF_8)).isEqualTo("two");
        consumer.ack(two).get(10, TimeUnit.SECONDS);
        consumer.cancel(2000);
        consumer.shutdown();
    }

    /*
     * amqp-client recovers, with the next connection, every channel the application did not close
     * itself, and the consumers registered on it: a channel the broker closed and we replaced would
     * come back as a second consumer of the queue. Its deliveries must not be acked on another
     * channel (wrong message acked, or "unknown delivery tag" killing that channel too).
     */
    @Test
    @DisplayName("reopened after a channel error leaves one consumer after a connection recovery: every message acked once, no channel leaked")
    void noZombieConsumerAfterReopenAndRecovery() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        RabbitMqSourceConfig config = broker.config("meterstream-zombie-" + id, "reconnect-delay", "500ms");
        broker.declare(config);
        String connectionName = "meterstream-zombie-test-" + id;
        connection = ClientConnectionFactory.create(config, "zombie-test").newConnection(connectionName);
        BlockingQueue<Delivery> received = new LinkedBlockingQueue<>();
        // two consumers on one connection, as with consumers=2: the client then gives the reopened
        // channel a new number, and the replaced one stays in its table of channels to recover
        ConsumerChannel consumer = new ConsumerChannel(connection, "zombie-test-1", config.queue(), gate, received::add);
        ConsumerChannel other = new ConsumerChannel(connection, "zombie-test-2", config.queue(), gate, received::add);
        consumer.start(10);
        other.start(10);

        // a real channel error: the second ack of one tag makes the broker close the channel (406 unknown delivery tag)
        other.cancel(2000); // so that "one" and "two" go to the first consumer
        broker.publish(config.queue(), "one".getBytes(StandardCharsets.UTF_8), Map.of());
        Delivery one = received.poll(30, TimeUnit.SECONDS);
        assertThat(one).isNotNull();
        consumer.ack(one).get(10, TimeUnit.SECONDS);
        consumer.ack(one).handle((ok, e) -> null).get(10, TimeUnit.SECONDS);
        broker.publish(config.queue(), "two".getBytes(StandardCharsets.UTF_8), Map.of());
        Delivery two = received.poll(30, TimeUnit.SECONDS);
        assertThat(two).as("delivered on the reopened channel").isNotNull();
        consumer.ack(two).get(10, TimeUnit.SECONDS);

        // then the broker drops this connection (and no other); the client recovers it
        CountDownLatch recovered = new CountDownLatch(1);
        ((Recoverable) connection).addRecoveryListener(new RecoveryListener() {
            @Override
            public void handleRecovery(Recoverable recoverable) {
                recovered.countDown();
            }

            @Override
            public void handleRecoveryStarted(Recoverable recoverable) {
            }
        });
        RabbitMqTestBroker.closeConnection(connectionName);
        assertThat(recovered.await(30, TimeUnit.SECONDS)).as("connection recovered").isTrue();

        int n = 20;
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            payloads.add("after-recovery-" + i);
        }
        for (String p : payloads) {
            broker.publish(config.queue(), p.getBytes(StandardCharsets.UTF_8), Map.of());
        }
        Map<String, AtomicInteger> acked = new ConcurrentHashMap<>();
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10)).until(() -> {
                Delivery d;
                while ((d = received.poll()) != null) {
                    // an ack that fails leaves the message in the broker: it is delivered again
                    if (d.channel().ack(d).handle((ok, e) -> e == null).get(10, TimeUnit.SECONDS)) {
                        acked.computeIfAbsent(new String(d.body(), StandardCharsets.UTF_8), k -> new AtomicInteger()).incrementAndGet();
                    }
                }
                return acked.size() == n;
            });
            // rabbitmqctl starts a VM per call: poll it slowly
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .until(() -> RabbitMqTestBroker.counts("/", config.queue()).messages == 0);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("queue not emptied: " + acked.size() + " of " + n + " messages acked, broker holds "
                    + RabbitMqTestBroker.counts("/", config.queue()) + ", " + RabbitMqTestBroker.channelsOf(connectionName)
                    + " channel(s) open", e);
        }
        assertThat(acked.values()).as("acks per message").allMatch(c -> c.get() == 1);
        assertThat(RabbitMqTestBroker.counts("/", config.queue()).consumers).as("consumers on the queue").isEqualTo(1);
        assertThat(RabbitMqTestBroker.channelsOf(connectionName)).as("channels of the connection").isEqualTo(2);
        consumer.cancel(2000);
        consumer.shutdown();
        other.shutdown();
    }
}
