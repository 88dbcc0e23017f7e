/**
 * The Kafka adapter: {@link io.github.meterstream.kafka.KafkaSource} (an
 * {@link io.github.meterstream.core.source.AbstractBrokerSource}) consumes topics in a consumer group,
 * commits only settled offsets, keeps retries in the adapter and dead-letters to a topic;
 * {@link io.github.meterstream.kafka.KafkaSourceConfig} declares its keys and
 * {@link io.github.meterstream.kafka.KafkaSourceFactory} is found by {@code ServiceLoader} as type
 * {@code kafka}. Inside ({@code kafka.internal}): the poll loop, {@code commit} (offsets and
 * rebalances), {@code fault} (dead-letter publishing), {@code health} (liveness).
 */
package io.github.meterstream.kafka;
