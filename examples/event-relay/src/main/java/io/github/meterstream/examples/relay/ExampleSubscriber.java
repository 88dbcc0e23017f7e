package io.github.meterstream.examples.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * What an internal service does with the relay's output: binds a queue of its own to the
 * exchanges it cares about (routing key {@code #}: every event type), and handles each message.
 * This one logs the topic, the message-id and the claim and contention ids; a service that must not
 * act twice on a re-published message drops a message-id it has already handled.
 *
 * <p>{@code java ... ExampleSubscriber [host]}: logs until stopped.
 */
public final class ExampleSubscriber implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExampleSubscriber.class);

    /** One message as the subscriber saw it. */
    public record Received(String exchange, String messageId, JsonNode payload) {
    }

    private final Connection connection;
    private final Channel channel;
    private final String queue;

    /**
     * Declares the exchanges (same arguments as the relay: durable topic), a server-named
     * exclusive queue bound to each, and starts consuming into {@code handler}.
     */
    public ExampleSubscriber(ConnectionFactory factory, List<String> exchanges, Consumer<Received> handler)
            throws IOException, TimeoutException {
        ObjectMapper mapper = new ObjectMapper();
        this.connection = factory.newConnection("relay-example-subscriber");
        this.channel = connection.createChannel();
        this.queue = channel.queueDeclare().getQueue();
        for (String exchange : exchanges) {
            channel.exchangeDeclare(exchange, "topic", true);
            channel.queueBind(queue, exchange, "#");
        }
        DeliverCallback deliver = (tag, delivery) -> {
            JsonNode payload = mapper.readTree(delivery.getBody());
            Received r = new Received(delivery.getEnvelope().getExchange(), delivery.getProperties().getMessageId(), payload);
            JsonNode event = payload.path("event");
            LOG.info("received {} from {}: topic {}, claim {}, contention {}, notifiedAt {}", r.messageId(), r.exchange(),
                    payload.path("topic").asText(), event.path("claimId").asText(), event.path("contentionId").asText(),
                    payload.path("notifiedAt").asText());
            handler.accept(r);
            channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
        };
        channel.basicConsume(queue, false, deliver, tag -> { });
    }

    public String queue() {
        return queue;
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }

    public static void main(String[] args) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(args.length > 0 ? args[0] : "127.0.0.1");
        List<String> exchanges = TopicExchanges.ROUTES.stream().map(TopicExchanges.Route::exchange).toList();
        try (ExampleSubscriber s = new ExampleSubscriber(f, exchanges, r -> { })) {
            LOG.info("bound queue {} to {}; Ctrl-C to stop", s.queue(), exchanges);
            Thread.currentThread().join();
        }
    }
}
