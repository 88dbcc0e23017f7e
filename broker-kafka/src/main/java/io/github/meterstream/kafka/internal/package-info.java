/**
 * The parts of {@link io.github.meterstream.kafka.KafkaSource}; not for use outside this module.
 * A record goes: {@link io.github.meterstream.kafka.internal.PollLoop} fetches it into
 * {@link io.github.meterstream.kafka.internal.FetchedRecords} and hands it to the sink; its
 * settlement goes to {@code fault.Settler} (ack, retry, dead-letter copy); {@code commit.OffsetCommitter}
 * commits up to the lowest unsettled offset; {@link io.github.meterstream.kafka.internal.RebalanceHandler}
 * lets partitions go; {@code health.Liveness} says whether the member is really consuming.
 */
package io.github.meterstream.kafka.internal;
