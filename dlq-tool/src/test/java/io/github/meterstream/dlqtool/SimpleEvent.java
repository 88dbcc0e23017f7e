package io.github.meterstream.dlqtool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.source.InboundMessage;

import java.io.IOException;
import java.util.Optional;

/** A message with an id, deduplicated on it: what the redrive tests consume. */
final class SimpleEvent {

    final String id;

    private SimpleEvent(String id) {
        this.id = id;
    }

    static String json(String id) {
        return "{\"id\":\"" + id + "\"}";
    }

    static final class Contract implements MessageContract<SimpleEvent> {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Override
        public SimpleEvent decode(InboundMessage message) {
            try {
                JsonNode n = JSON.readTree(message.payload());
                if (n == null || !n.hasNonNull("id")) {
                    throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "no id");
                }
                return new SimpleEvent(n.get("id").asText());
            } catch (IOException e) {
                throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "not JSON: " + e.getMessage(), e);
            }
        }

        @Override
        public String orderingKey(SimpleEvent m) {
            return m.id;
        }

        @Override
        public Optional<IdempotencyKey> idempotencyKey(SimpleEvent m) {
            return Optional.of(IdempotencyKey.of("t", "events", m.id));
        }

        @Override
        public String fingerprint(SimpleEvent m) {
            return m.id;
        }

        @Override
        public String tenant(SimpleEvent m) {
            return "t";
        }

        @Override
        public String trackingId(SimpleEvent m) {
            return m.id;
        }
    }
}
