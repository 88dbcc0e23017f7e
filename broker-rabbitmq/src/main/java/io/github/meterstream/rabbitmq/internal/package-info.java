/**
 * The broker calls behind {@code RabbitMqSource}: connections, consumer channels, topology, confirmed
 * publishing, header mapping. Not an API.
 */
package io.github.meterstream.rabbitmq.internal;
