package io.github.meterstream.rabbitmq;

import io.github.meterstream.core.InboundMessage;
import io.github.meterstream.core.MessageContract;
import io.github.meterstream.core.PermanentFailure;
import io.github.meterstream.core.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;

import java.util.Optional;

/** Test messages whose payload is their tracking id; a payload starting with "poison" cannot be decoded. */
final class TrackingIdContract implements MessageContract<String> {

    @Override
    public String decode(InboundMessage message) {
        String id = message.payloadAsString();
        if (id.startsWith("poison")) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "test poison message '" + id + "' cannot be read");
        }
        return id;
    }

    @Override
    public String orderingKey(String message) {
        return message;
    }

    @Override
    public Optional<IdempotencyKey> idempotencyKey(String message) {
        return Optional.of(IdempotencyKey.of("test", "rabbitmq", message));
    }

    @Override
    public String fingerprint(String message) {
        return message;
    }

    @Override
    public String tenant(String message) {
        return "test-tenant";
    }

    @Override
    public String trackingId(String message) {
        return message;
    }
}
