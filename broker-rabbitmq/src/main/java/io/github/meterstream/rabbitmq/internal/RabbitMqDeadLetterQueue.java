package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.meterstream.core.deadletter.DeadLetterQueue;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A source's dead-letter queue for tools. Messages are taken with {@code basic.get} and left
 * unacknowledged while the walk goes on, so each is seen once; a redriven one is published to the
 * work queue (default exchange, the queue's name as routing key) with publisher confirms and acked
 * here only after the confirm; the others are handed back ({@code basic.nack}, requeue) when the walk ends.
 */
public final class RabbitMqDeadLetterQueue implements DeadLetterQueue {

    private final RabbitMqSourceConfig config;
    private final Connection connection;

    public RabbitMqDeadLetterQueue(String name, RabbitMqSourceConfig config) {
        this.config = config;
        try {
            this.connection = ClientConnectionFactory.create(config, name + "-dead-letter-tool").newConnection(name + "-dead-letter-tool");
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException("cannot connect to RabbitMQ for " + describe() + ": " + e, e);
        }
    }

    @Override
    public String describe() {
        return "RabbitMQ queue " + config.deadLetterQueue() + " (dead letters of " + config.queue() + ')';
    }

    @Override
    public int walk(Function<DeadLetter, Action> decide) {
        List<Long> left = new ArrayList<>();
        int redriven = 0;
        Channel channel = null;
        try {
            channel = connection.createChannel();
            channel.confirmSelect();
            GetResponse r;
            while ((r = channel.basicGet(config.deadLetterQueue(), false)) != null) {
                long tag = r.getEnvelope().getDeliveryTag();
                Map<String, String> headers = MessageHeaders.toText(r.getProps().getHeaders());
                DeadLetter d = new DeadLetter(config.deadLetterQueue() + '#' + tag, DeadLetterEnvelope.fromHeaders(headers).orElse(null),
                        r.getBody(), headers);
                Action action = decide.apply(d);
                if (action == Action.REDRIVE) {
                    redrive(channel, d, r.getProps());
                    channel.basicAck(tag, false);
                    redriven++;
                } else {
                    left.add(tag);
                    if (action == Action.STOP) {
                        break;
                    }
                }
            }
            for (long tag : left) {
                channel.basicNack(tag, false, true);
            }
            channel.close();
            return redriven;
        } catch (IOException | TimeoutException | ShutdownSignalException e) {
            // whatever was not acked goes back to the queue when the channel closes
            // the client wraps the broker's answer (404 NOT_FOUND for a missing queue) in an IOException
            Throwable said = e.getCause() instanceof ShutdownSignalException ? e.getCause() : e;
            throw new IllegalStateException("walking " + describe() + " failed after " + redriven + " redriven: " + said.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted after " + redriven + " redriven", e);
        }
    }

    private void redrive(Channel channel, DeadLetter d, AMQP.BasicProperties original) throws IOException, InterruptedException,
            TimeoutException {
        DeadLetterEnvelope envelope = d.envelope();
        if (envelope == null) {
            throw new IllegalStateException(d.id() + " carries no dead-letter envelope: its destination is unknown");
        }
        Map<String, Object> headers = original.getHeaders() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(original.getHeaders());
        headers.keySet().removeIf(DeadLetterEnvelope::isEnvelopeHeader);
        AMQP.BasicProperties props = MessageHeaders.retryCopy(original.builder().headers(headers).build(), envelope.attempts());
        channel.basicPublish("", envelope.coordinates().destination(), true, props, d.payload());
        channel.waitForConfirmsOrDie(config.confirmTimeout().toMillis());
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (IOException | RuntimeException e) {
            // closing a connection the broker dropped already
        }
    }
}
