/**
 * The ActiveMQ Classic adapter: {@link io.github.meterstream.activemq.ActiveMqSource} (an
 * {@link io.github.meterstream.core.source.AbstractBrokerSource}) consumes a queue with per-message
 * acknowledgement, retries through the broker's redelivery and dead-letters to a queue;
 * {@link io.github.meterstream.activemq.ActiveMqSourceConfig} declares its keys and
 * {@link io.github.meterstream.activemq.ActiveMqSourceFactory} is found by {@code ServiceLoader} as
 * type {@code activemq}.
 */
package io.github.meterstream.activemq;
