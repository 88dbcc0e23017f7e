package io.github.meterstream.activemq;

import io.github.meterstream.core.InboundMessage;
import io.github.meterstream.core.MessageContract;
import io.github.meterstream.core.PermanentFailure;
import io.github.meterstream.core.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;

import java.util.Optional;

/** Test messages whose payload is just an id; a payload starting with {@code poison} cannot be decoded. */
final class UsageIdContract implements MessageContract<String> {

    @Override
    public String decode(InboundMessage message) {
        String id = message.payloadAsString();
        if (id.startsWith("poison")) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "payload '" + id + "' is not a usage record");
        }
        return id;
    }

    @Override
    public String orderingKey(String id) {
        return id;
    }

    @Override
    public Optional<IdempotencyKey> idempotencyKey(String id) {
        return Optional.of(IdempotencyKey.of("test", "tenant-1", id));
    }

    @Override
    public String fingerprint(String id) {
        return id;
    }

    @Override
    public String tenant(String id) {
        return "tenant-1";
    }

    @Override
    public String trackingId(String id) {
        return id;
    }
}
