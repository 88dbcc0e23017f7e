package io.github.meterstream.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.DisplayName;

import io.github.meterstream.activemq.EmbeddedActiveMqBroker;

@DisplayName("ActiveMQ Classic (in-process broker over TCP) -> meterstream -> Kill Bill 0.22")
class ActiveMqScenariosIT extends BrokerScenarios {
    static final String QUEUE = "usage-e2e";

    private final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();

    @Override
    protected void startBroker() throws Exception {
        broker.start();
    }

    @Override
    protected void stopBroker() throws Exception {
        broker.stop();
    }

    @Override
    protected Map<String, String> sourceConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("type", "activemq");
        c.put("broker-url", broker.failoverUrl());
        c.put("queue", QUEUE);
        return c;
    }

    @Override
    protected String serverName() {
        return "activemq";
    }

    @Override
    protected void publish(String key, String payload) throws Exception {
        broker.publish(QUEUE, payload.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    @Override
    protected List<DeadLetter> deadLetters() throws Exception {
        List<DeadLetter> out = new ArrayList<>();
        for (EmbeddedActiveMqBroker.BrowsedMessage m : broker.browse(QUEUE + ".DLQ")) {
            out.add(new DeadLetter(m.payload, m.properties()));
        }
        return out;
    }
}
