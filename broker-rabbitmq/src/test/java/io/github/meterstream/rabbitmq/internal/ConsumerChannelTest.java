package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import io.github.meterstream.rabbitmq.RabbitMqTestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("A consumer channel the broker closed on its own")
class ConsumerChannelTest {

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");
    private Connection connection;
    private final FlowGate gate = new FlowGate();

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
}
