package io.github.meterstream.activemq;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.testkit.BrokerSourceCompatibilityKit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

@DisplayName("ActiveMqSource passes the compatibility kit against an embedded ActiveMQ 5.19 broker")
class ActiveMqSourceCompatibilityTest extends BrokerSourceCompatibilityKit {

    @RegisterExtension
    static final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();

    @Override
    protected BrokerSource createSource(String destination) {
        return new ActiveMqSourceFactory().create("activemq-kit", ConfigValues.of("sources.kit.",
                Map.of("broker-url", broker.tcpUrl(), "queue", destination, "reconnect-delay", "200ms")));
    }

    @Override
    protected BrokerSource createUnreachableSource(String destination) throws Exception {
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            return new ActiveMqSourceFactory().create("activemq-kit", ConfigValues.of("sources.kit.", Map.of("broker-url",
                    "tcp://127.0.0.1:" + closed.getLocalPort(), "queue", destination, "reconnect-delay", "200ms")));
        }
    }

    @Override
    protected void publish(String destination, TestMessage message) throws Exception {
        broker.publish(destination, message.payload(), message.headers());
    }

    @Override
    protected boolean breakDeadLetters(String destination) {
        broker.refuse(destination + ".DLQ");
        return true;
    }

    @Override
    protected void restoreDeadLetters(String destination) {
        broker.accept(destination + ".DLQ");
    }

    @Override
    protected List<TestMessage> deadLetters(String destination) throws Exception {
        return broker.browse(destination + ".DLQ").stream()
                .map(m -> new TestMessage(m.payload, m.properties, null)).collect(Collectors.toList());
    }
}
