package io.github.meterstream.dlqtool;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.rabbitmq.RabbitMqSourceFactory;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;

import java.util.Map;

/** Against the real RabbitMQ on 127.0.0.1:5672 (guest/guest). */
@DisplayName("meterstream-dlq on RabbitMQ")
class RabbitMqRedriveTest extends RedriveKit {

    private Connection admin;
    private TcpFaultProxy proxy;

    @BeforeEach
    void connect() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(5672);
        admin = f.newConnection("dlq-tool-test");
        proxy = new TcpFaultProxy("127.0.0.1", 5672);
    }

    @AfterEach
    void cleanUp() throws Exception {
        try (Channel c = admin.createChannel()) {
            c.queueDelete(queue);
            c.queueDelete(queue + ".dlq");
            c.exchangeDelete(queue + ".dlx");
        } finally {
            admin.close();
            proxy.close();
        }
    }

    @Override
    BrokerSourceFactory factory() {
        return new RabbitMqSourceFactory();
    }

    @Override
    Map<String, String> sourceKeys(boolean faulty) {
        return Map.of("host", "127.0.0.1", "port", Integer.toString(faulty ? proxy.port() : 5672), "queue", queue);
    }

    @Override
    void interrupt(Thread tool) {
        proxy.cut();
    }

    @Override
    void publish(String q, byte[] payload) throws Exception {
        try (Channel c = admin.createChannel()) {
            c.basicPublish("", q, null, payload);
        }
    }

    @Override
    long waitingDeadLetters() throws Exception {
        try (Channel c = admin.createChannel()) {
            return c.queueDeclarePassive(queue + ".dlq").getMessageCount();
        }
    }
}
