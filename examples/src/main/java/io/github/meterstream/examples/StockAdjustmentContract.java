package io.github.meterstream.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;

import java.io.IOException;
import java.util.Optional;

/** How broker-core reads, orders and deduplicates {@link StockAdjustment}s. */
public final class StockAdjustmentContract implements MessageContract<StockAdjustment> {

    private final ObjectMapper mapper = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

    @Override
    public StockAdjustment decode(InboundMessage message) {
        try {
            return mapper.readValue(message.payload(), StockAdjustment.class);
        } catch (JsonProcessingException e) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "not a stock adjustment: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "not a stock adjustment: " + e.getMessage(), e);
        }
    }

    /** Movements of one SKU in one warehouse apply in the order they were published. */
    @Override
    public String orderingKey(StockAdjustment m) {
        return m.warehouse() + '/' + m.sku();
    }

    @Override
    public Optional<IdempotencyKey> idempotencyKey(StockAdjustment m) {
        return Optional.of(IdempotencyKey.of(m.warehouse(), m.sku(), m.eventId()));
    }

    @Override
    public String fingerprint(StockAdjustment m) {
        return Integer.toString(m.delta());
    }

    @Override
    public String tenant(StockAdjustment m) {
        return m.warehouse();
    }

    @Override
    public String trackingId(StockAdjustment m) {
        return m.eventId();
    }
}
