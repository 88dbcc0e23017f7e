package io.github.meterstream.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.meterstream.activemq.EmbeddedActiveMqBroker;

/** An in-process ActiveMQ Classic broker (KahaDB, TCP on 127.0.0.1) with one queue; dead letters go to {@code <queue>.DLQ}. */
final class ActiveMqBroker implements ScenarioBroker {
    private final String queue;
    private final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();

    ActiveMqBroker(String queue) {
        this.queue = queue;
    }

    @Override
    public void start() throws Exception {
        broker.start();
    }

    @Override
    public Map<String, String> sourceConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("type", "activemq");
        c.put("broker-url", broker.failoverUrl());
        c.put("queue", queue);
        return c;
    }

    @Override
    public void publish(String key, String payload) throws Exception {
        broker.publish(queue, payload.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    @Override
    public List<DeadLetter> deadLetters() throws Exception {
        List<DeadLetter> out = new ArrayList<>();
        for (EmbeddedActiveMqBroker.BrowsedMessage m : broker.browse(queue + ".DLQ")) {
            out.add(new DeadLetter(m.payload, m.properties()));
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        broker.stop();
    }
}
