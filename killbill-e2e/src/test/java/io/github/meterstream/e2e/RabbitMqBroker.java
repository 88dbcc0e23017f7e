package io.github.meterstream.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;

/**
 * The local RabbitMQ server (127.0.0.1:5672, guest/guest, or RABBITMQ_HOST/RABBITMQ_PORT) with a queue of
 * this test's own (the plugin declares it); a missing broker fails, never skips.
 */
final class RabbitMqBroker implements ScenarioBroker {
    static final String HOST = System.getenv().getOrDefault("RABBITMQ_HOST", "127.0.0.1");
    static final int PORT = Integer.parseInt(System.getenv().getOrDefault("RABBITMQ_PORT", "5672"));
    private static final List<String> RETRY_DELAYS_MS = List.of("500", "5000");

    private final String queue;
    private Connection connection;

    RabbitMqBroker(String queuePrefix) {
        this.queue = queuePrefix + "-" + Long.toHexString(System.nanoTime());
    }

    @Override
    public void start() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, PORT), 2000);
        } catch (IOException e) {
            throw new AssertionError("RabbitMQ is not reachable at " + HOST + ":" + PORT + " (" + e.getMessage()
                    + "): start it (bash .ci/services.sh, or rabbitmq-server -detached; guest/guest)", e);
        }
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(HOST);
        f.setPort(PORT);
        connection = f.newConnection("meterstream-e2e-test");
    }

    @Override
    public Map<String, String> sourceConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("type", "rabbitmq");
        c.put("host", HOST);
        c.put("port", Integer.toString(PORT));
        c.put("queue", queue);
        c.put("retry.delays", "500ms,5s");
        c.put("reconnect-delay", "1s");
        return c;
    }

    @Override
    public void publish(String key, String payload) throws Exception {
        try (Channel ch = connection.createChannel()) {
            ch.confirmSelect();
            // mandatory: a queue that does not exist (yet) must not swallow the message silently
            ch.addReturnListener(r -> {
                throw new IllegalStateException("unroutable: " + r.getReplyText());
            });
            ch.basicPublish("", queue, true, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
                    payload.getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(10_000);
        }
    }

    @Override
    public List<DeadLetter> deadLetters() throws Exception {
        List<DeadLetter> out = new ArrayList<>();
        // read without ack; closing the channel puts them back
        try (Channel ch = connection.createChannel()) {
            GetResponse r;
            while ((r = ch.basicGet(queue + ".dlq", false)) != null) {
                Map<String, Object> h = r.getProps().getHeaders();
                out.add(new DeadLetter(r.getBody(), h == null ? Map.of() : ScenarioBroker.text(h)));
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        if (connection == null) {
            return;
        }
        try (Channel ch = connection.createChannel()) {
            ch.queueDelete(queue);
            ch.queueDelete(queue + ".dlq");
            for (String ms : RETRY_DELAYS_MS) {
                ch.queueDelete(queue + ".retry." + ms);
            }
            ch.exchangeDelete(queue + ".dlx");
        } finally {
            connection.close();
        }
    }
}
