/**
 * The parts of {@link io.github.meterstream.kafka.KafkaSource}; not for use outside this module.
 * A record goes: {@link io.github.meterstream.kafka.internal.PollLoop} fetches it into
 * {@link io.github.meterstream.kafka.internal.FetchedRecords} and hands it to the sink; its
 * settlement comes back to {@code KafkaSource} (ack, retry, a dead-letter copy through
 * {@code fault.DeadLetterPublisher}); {@code commit.OffsetCommitter} commits up to the lowest
 * unsettled offset and lets partitions go on a rebalance; {@code health.TopicWatch} asks the
 * cluster for the topics until it answers (and which are missing), {@code health.Liveness} says
 * whether the member is really consuming, and {@code health.ErrorKeys} names the key an error
 * points at.
 */
package io.github.meterstream.kafka.internal;
