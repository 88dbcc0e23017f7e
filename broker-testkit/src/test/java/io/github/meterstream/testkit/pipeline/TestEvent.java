package io.github.meterstream.testkit.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.PositiveOrZero;

import java.io.IOException;
import java.util.Optional;

/** A small message type for pipeline tests: {@code {"id":"..","key":"..","value":n}}. */
public class TestEvent {

    @NotBlank(message = "is required")
    public String id;

    @NotBlank(message = "is required")
    public String key;

    @PositiveOrZero(message = "must not be negative")
    public int value;

    public static String json(String id, String key, int value) {
        return "{\"id\":\"" + id + "\",\"key\":\"" + key + "\",\"value\":" + value + "}";
    }

    /** Decodes with Jackson; deduplicates on tenant "t" / key / id; fingerprint = value. */
    public static final class Contract implements MessageContract<TestEvent> {
        private static final ObjectMapper MAPPER = new ObjectMapper();

        @Override
        public TestEvent decode(InboundMessage message) {
            try {
                return MAPPER.readValue(message.payload(), TestEvent.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "not a test event: " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "not a test event: " + e.getMessage(), e);
            }
        }

        @Override
        public String orderingKey(TestEvent m) {
            return m.key;
        }

        @Override
        public Optional<IdempotencyKey> idempotencyKey(TestEvent m) {
            return Optional.of(IdempotencyKey.of("t", m.key, m.id));
        }

        @Override
        public String fingerprint(TestEvent m) {
            return Integer.toString(m.value);
        }

        @Override
        public String tenant(TestEvent m) {
            return "t";
        }

        @Override
        public String trackingId(TestEvent m) {
            return m.id;
        }
    }
}
