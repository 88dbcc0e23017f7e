package io.github.meterstream.examples.relay;

import com.rabbitmq.client.ConnectionFactory;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

/** Everything the relay published to RabbitMQ while it was open, received through {@link ExampleSubscriber}. */
final class RabbitCapture implements AutoCloseable {

    private final ConcurrentLinkedQueue<ExampleSubscriber.Received> received = new ConcurrentLinkedQueue<>();
    private final ExampleSubscriber subscriber;

    RabbitCapture() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(5672);
        subscriber = new ExampleSubscriber(f, TopicExchanges.ROUTES.stream().map(TopicExchanges.Route::exchange).toList(),
                received::add);
    }

    List<ExampleSubscriber.Received> all() {
        return List.copyOf(received);
    }

    /** Deliveries whose message-id is one of {@code ids} (other runs may publish to the same exchanges). */
    List<ExampleSubscriber.Received> of(Set<String> ids) {
        return received.stream().filter(r -> ids.contains(r.messageId())).toList();
    }

    Set<String> distinctIds(Set<String> ids) {
        return of(ids).stream().map(ExampleSubscriber.Received::messageId).collect(Collectors.toSet());
    }

    @Override
    public void close() throws java.io.IOException {
        subscriber.close();
    }
}
