package io.github.meterstream.dlqtool;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.rabbitmq.RabbitMqSourceFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;

import java.util.Map;

/** Against the real RabbitMQ on 127.0.0.1:5672 (guest/guest). */
@DisplayName("meterstream-dlq on RabbitMQ")
class RabbitMqRedriveTest extends RedriveKit {

    private Connection admin;

    @BeforeEach
    void connect() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(5672);
        admin = f.newConnection("dlq-tool-test");
    }

    @AfterEach
    void cleanUp() throws Exception {
        try (Channel c = admin.createChannel()) {
            c.queueDelete(queue);
            c.queueDelete(queue + ".dlq");
            c.exchangeDelete(queue + ".dlx");
        } finally {
            admin.close();
        }
    }

    @Override
    BrokerSourceFactory factory() {
        return new RabbitMqSourceFactory();
    }

    @Override
    Map<String, String> sourceKeys(int port) {
        return Map.of("host", "127.0.0.1", "port", Integer.toString(port), "queue", queue);
    }

    @Override
    int brokerPort() {
        return 5672;
    }

    @Override
    void publish(String q, byte[] payload) throws Exception {
        try (Channel c = admin.createChannel()) {
            c.basicPublish("", q, null, payload);
        }
    }

    @Override
    long count(String q) throws Exception {
        try (Channel c = admin.createChannel()) {
            return c.queueDeclarePassive(q).getMessageCount();
        }
    }

    @Override
    String deadLetterQueue() {
        return queue + ".dlq";
    }
}
