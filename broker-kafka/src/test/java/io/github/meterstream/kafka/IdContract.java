package io.github.meterstream.kafka;

import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.idempotency.IdempotencyKey;

import java.util.Optional;

/** Test messages {@code key:id}: ordered by key, deduplicated by id; anything else fails to decode. */
final class IdContract implements MessageContract<String[]> {

    @Override
    public String[] decode(InboundMessage message) {
        String[] parts = message.payloadAsString().split(":", 2);
        if (parts.length != 2) {
            // what a real contract does with bad JSON: the pipeline dead-letters it as MALFORMED_PAYLOAD
            throw new IllegalArgumentException("not key:id (test)");
        }
        return parts;
    }

    @Override
    public String orderingKey(String[] message) {
        return message[0];
    }

    @Override
    public Optional<IdempotencyKey> idempotencyKey(String[] message) {
        return Optional.of(IdempotencyKey.of("test", "kafka", message[1]));
    }

    @Override
    public String fingerprint(String[] message) {
        return message[1];
    }

    @Override
    public String tenant(String[] message) {
        return null;
    }

    @Override
    public String trackingId(String[] message) {
        return message[1];
    }
}
