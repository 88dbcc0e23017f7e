package io.github.meterstream.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import io.github.meterstream.rabbitmq.internal.Topology;

import java.time.Duration;
import java.util.Map;
import java.util.function.IntFunction;

/** The real RabbitMQ server at 127.0.0.1:5672 (guest/guest): declares, fills and deletes benchmark queues. */
final class RabbitMqBroker implements AutoCloseable {

    static final String HOST = System.getenv().getOrDefault("RABBITMQ_HOST", "127.0.0.1");
    final Connection admin;

    RabbitMqBroker() throws Exception {
        admin = factory().newConnection("meterstream-bench-admin");
    }

    static ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(HOST);
        f.setPort(5672);
        f.setUsername("guest");
        f.setPassword("guest");
        f.setAutomaticRecoveryEnabled(false);
        return f;
    }

    /** The adapter's config for {@code queue} (prefetch as given), with its topology declared as the adapter would. */
    RabbitMqSourceConfig declare(String queue, int prefetch) throws Exception {
        RabbitMqSourceConfig config = RabbitMqSourceConfig.from(ConfigValues.of("", Map.of("host", HOST, "queue", queue,
                "prefetch", Integer.toString(prefetch))));
        Topology.declare(admin, config);
        return config;
    }

    /** Publishes persistent messages with publisher confirms and waits for all confirms. */
    void publish(String queue, int n, IntFunction<byte[]> payload) throws Exception {
        try (Channel ch = admin.createChannel()) {
            ch.confirmSelect();
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json").build();
            for (int i = 0; i < n; i++) {
                ch.basicPublish("", queue, props, payload.apply(i));
                if (i % 1000 == 999) {
                    ch.waitForConfirmsOrDie(60_000);
                }
            }
            ch.waitForConfirmsOrDie(60_000);
        }
    }

    long depth(String queue) throws Exception {
        try (Channel ch = admin.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        }
    }

    void delete(RabbitMqSourceConfig config) {
        try (Channel ch = admin.createChannel()) {
            ch.queueDelete(config.queue());
            ch.queueDelete(config.deadLetterQueue());
            for (Duration d : config.retryDelays()) {
                ch.queueDelete(config.retryQueue(d));
            }
            ch.exchangeDelete(config.deadLetterExchange());
        } catch (Exception e) {
            System.out.println("  (could not delete " + config.queue() + ": " + e + ")");
        }
    }

    @Override
    public void close() throws Exception {
        admin.close();
    }
}
