package io.github.meterstream.testkit;

import io.github.meterstream.core.source.BrokerSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;

import java.util.List;
import java.util.stream.Collectors;

@DisplayName("InMemoryBrokerSource passes the compatibility kit")
class InMemoryBrokerSourceCompatibilityTest extends BrokerSourceCompatibilityKit {

    private final InMemoryBroker broker = new InMemoryBroker();

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    @Override
    protected BrokerSource createSource(String destination) {
        return new InMemoryBrokerSource("in-memory-kit", broker, destination);
    }

    @Override
    protected void publish(String destination, TestMessage message) {
        broker.publish(destination, message.payload(), message.headers());
    }

    @Override
    protected boolean breakDeadLetters(String destination) {
        broker.refuse(destination + ".dlq");
        return true;
    }

    @Override
    protected void restoreDeadLetters(String destination) {
        broker.accept(destination + ".dlq");
    }

    @Override
    protected List<TestMessage> deadLetters(String destination) {
        return broker.peek(destination + ".dlq").stream()
                .map(m -> new TestMessage(m.payload(), m.headers(), null))
                .collect(Collectors.toList());
    }
}
