package io.github.meterstream.rabbitmq;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.testkit.BrokerSourceCompatibilityKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;

import java.util.List;
import java.util.stream.Collectors;

@DisplayName("RabbitMqSource passes the compatibility kit against a real RabbitMQ")
class RabbitMqSourceCompatibilityTest extends BrokerSourceCompatibilityKit {

    private static final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");

    @AfterAll
    static void deleteQueues() throws Exception {
        broker.close();
    }

    @Override
    protected String newDestination() throws Exception {
        String queue = "meterstream-" + super.newDestination();
        broker.declare(broker.config(queue));
        return queue;
    }

    @Override
    protected BrokerSource createSource(String destination) {
        return new RabbitMqSource("rabbitmq-kit", broker.config(destination));
    }

    @Override
    protected BrokerSource createUnreachableSource(String destination) throws Exception {
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            return new RabbitMqSource("rabbitmq-kit", broker.config(destination, "port", Integer.toString(closed.getLocalPort())));
        }
    }

    @Override
    protected void publish(String destination, TestMessage message) throws Exception {
        broker.publish(destination, message.payload(), message.headers());
    }

    /** With its queue gone, the dead-letter exchange routes the copy nowhere: the broker does not confirm it. */
    @Override
    protected boolean breakDeadLetters(String destination) throws Exception {
        broker.deleteQueue(broker.config(destination).deadLetterQueue());
        return true;
    }

    @Override
    protected void restoreDeadLetters(String destination) {
        broker.declare(broker.config(destination));
    }

    @Override
    protected List<TestMessage> deadLetters(String destination) throws Exception {
        return broker.peek(broker.config(destination).deadLetterQueue()).stream()
                .map(r -> new TestMessage(r.payload, r.headers, null)).collect(Collectors.toList());
    }
}
