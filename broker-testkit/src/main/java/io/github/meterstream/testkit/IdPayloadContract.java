package io.github.meterstream.testkit;

import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;

import java.util.Optional;

/**
 * The smallest useful message contract for adapter tests: the payload is the message's id (its
 * tracking id, ordering key and fingerprint), deduplicated under one test tenant; a payload
 * starting with {@code poison} cannot be decoded and is dead-lettered as
 * {@link ReasonCodes#MALFORMED_PAYLOAD}. Run it through a {@code ConsumerPipeline} to test an
 * adapter with duplicates and poison messages without a real message format.
 */
public final class IdPayloadContract implements MessageContract<String> {

    /** The tenant every message belongs to. */
    public static final String TENANT = "test-tenant";

    @Override
    public String decode(InboundMessage message) {
        String id = message.payloadAsString();
        if (id.startsWith("poison")) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "test payload '" + id + "' is poison: it cannot be read");
        }
        return id;
    }

    @Override
    public String orderingKey(String id) {
        return id;
    }

    @Override
    public Optional<IdempotencyKey> idempotencyKey(String id) {
        return Optional.of(IdempotencyKey.of("test", TENANT, id));
    }

    @Override
    public String fingerprint(String id) {
        return id;
    }

    @Override
    public String tenant(String id) {
        return TENANT;
    }

    @Override
    public String trackingId(String id) {
        return id;
    }
}
