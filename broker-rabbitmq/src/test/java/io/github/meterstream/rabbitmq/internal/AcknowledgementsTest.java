package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.Connection;
import io.github.meterstream.core.source.DeliveryGate;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import io.github.meterstream.rabbitmq.RabbitMqTestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/*
 * Acks written in one batch, against the real broker: what is left in the queue after the channel
 * closes is exactly what was not settled. A multiple ack that reached past an unsettled tag would
 * remove that message for good.
 */
@DisplayName("Acknowledgements written together")
class AcknowledgementsTest {

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");
    private final DeliveryGate gate = new DeliveryGate();
    /** Tasks for the operations thread, run by the test when it chooses: everything queued by then is one batch. */
    private final List<Runnable> operations = new ArrayList<>();
    private final List<Throwable> results = Collections.synchronizedList(new ArrayList<>());
    private Connection connection;
    private RabbitMqSourceConfig config;

    @AfterEach
    void tearDown() throws Exception {
        gate.stop();
        if (connection != null) {
            connection.abort();
        }
        broker.close();
    }

    /** Six messages delivered to one consumer, which is then cancelled so that nothing requeued comes back to it. */
    private Map<String, Delivery> sixDelivered() throws Exception {
        config = broker.config("meterstream-acks-" + UUID.randomUUID().toString().substring(0, 8));
        broker.declare(config);
        connection = ClientConnectionFactory.create(config, "acks-test").newConnection();
        BlockingQueue<Delivery> received = new LinkedBlockingQueue<>();
        ConsumerChannel consumer = new ConsumerChannel(connection, "acks-test", config.queue(), gate, received::add);
        for (String p : List.of("one", "two", "three", "four", "five", "six")) {
            broker.publish(config.queue(), p.getBytes(StandardCharsets.UTF_8), Map.of());
        }
        consumer.start(10);
        List<Delivery> six = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Delivery d = received.poll(30, TimeUnit.SECONDS);
            assertThat(d).as("delivery %d", i + 1).isNotNull();
            six.add(d);
        }
        consumer.cancel(2000);
        six.sort(Comparator.comparingLong(Delivery::deliveryTag));
        Map<String, Delivery> byPayload = new HashMap<>();
        for (Delivery d : six) {
            byPayload.put(new String(d.body(), StandardCharsets.UTF_8), d);
        }
        return byPayload;
    }

    private Acknowledgements acknowledgements() {
        return new Acknowledgements(operations::add, d -> d.channel().isCurrent(d) ? null : new IllegalStateException("gone"));
    }

    private List<String> leftInQueueAfterClose() throws Exception {
        connection.close(); // the broker requeues what is unacknowledged
        connection = null;
        return broker.peek(config.queue()).stream().map(RabbitMqTestBroker.Read::text).sorted().collect(Collectors.toList());
    }

    @Test
    @DisplayName("acks around an unsettled tag leave exactly that one (and the unsettled last one) in the queue")
    void runStopsAtAnUnsettledTag() throws Exception {
        Map<String, Delivery> d = sixDelivered();
        Acknowledgements acks = acknowledgements();
        for (String p : List.of("four", "one", "five", "two")) {
            acks.ack(d.get(p), results::add, false);
        }
        new ArrayList<>(operations).forEach(Runnable::run);

        assertThat(results).hasSize(4).containsOnlyNulls();
        assertThat(leftInQueueAfterClose()).containsExactly("six", "three");
    }

    @Test
    @DisplayName("a requeue written with acks is written first, and the acks after it still go")
    void requeueInTheRun() throws Exception {
        Map<String, Delivery> d = sixDelivered();
        Acknowledgements acks = acknowledgements();
        acks.ack(d.get("one"), results::add, false);
        acks.requeue(d.get("three"), results::add);
        acks.ack(d.get("four"), results::add, false);
        acks.ack(d.get("two"), results::add, false);
        new ArrayList<>(operations).forEach(Runnable::run);
        operations.clear();
        acks.ack(d.get("six"), results::add, true);

        assertThat(results).hasSize(5).containsOnlyNulls();
        assertThat(leftInQueueAfterClose()).containsExactly("five", "three");
    }
}
