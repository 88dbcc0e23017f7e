/**
 * The RabbitMQ adapter: {@link io.github.meterstream.rabbitmq.RabbitMqSource} (an
 * {@link io.github.meterstream.core.source.AbstractBrokerSource}) consumes a queue with manual acks,
 * retries through TTL delay queues and dead-letters with publisher confirms;
 * {@link io.github.meterstream.rabbitmq.RabbitMqSourceConfig} declares its keys and
 * {@link io.github.meterstream.rabbitmq.RabbitMqSourceFactory} is found by {@code ServiceLoader} as type
 * {@code rabbitmq}.
 */
package io.github.meterstream.rabbitmq;
