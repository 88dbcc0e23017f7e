package io.github.meterstream.kafka;

import io.github.meterstream.core.InboundMessage;
import io.github.meterstream.core.MessageContract;
import io.github.meterstream.core.idempotency.IdempotencyKey;

import java.util.Optional;

/** Test messages {@code key:id}: ordered by key, deduplicated by id. */
final class IdContract implements MessageContract<String[]> {

    @Override
    public String[] decode(InboundMessage message) {
        return message.payloadAsString().split(":", 2);
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
