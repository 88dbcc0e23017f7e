package io.github.meterstream.examples.relay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a BIE contention event from Kafka. Failure texts name the field and the place, never a
 * value from the payload: they end up in logs and dead-letter envelopes. A payload that is not a JSON object, or whose identity,
 * event time or diagnostic codes cannot be read, is a {@link PermanentFailure} with
 * {@link ReasonCodes#MALFORMED_PAYLOAD}: broker-core dead-letters it with its envelope and the
 * relay goes on with the next event.
 */
public final class BieEventContract implements MessageContract<BieEvent> {

    /** Fields kept in {@code event_details} unless configured otherwise: no person's identifiers. */
    public static final List<String> DEFAULT_DETAIL_FIELDS = List.of("claimId", "contentionId", "contentionClassificationName",
            "contentionTypeCode", "diagnosticCode", "diagnosticCodes", "eventTime", "actionName", "actionResultName",
            "automationIndicator", "contentionStatusTypeCode", "currentLifecycleStatus", "journalStatusTypeCode",
            "dateAdded", "dateCompleted", "dateUpdated");

    static final int MAX_DIAGNOSTIC_CODE_LENGTH = 32;

    private final ObjectMapper mapper = new ObjectMapper();
    private final String idField;
    private final Set<String> detailFields;

    /**
     * @param idField      the field identifying an event within its topic, or {@code null} for topic/partition/offset
     * @param detailFields the allow-list of {@code event_details}
     */
    public BieEventContract(String idField, List<String> detailFields) {
        this.idField = idField;
        this.detailFields = new LinkedHashSet<>(detailFields);
    }

    @Override
    public BieEvent decode(InboundMessage message) {
        SourceCoordinates at = message.coordinates();
        String topic = at.destination();
        TopicExchanges.Route route = TopicExchanges.forTopic(topic)
                .orElseThrow(() -> malformed(at, "topic '" + topic + "' has no exchange", null));
        JsonNode event;
        try {
            event = mapper.readTree(message.payload());
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the offending token, which may be personal data: say only where
            throw malformed(at, "not JSON (" + e.getClass().getSimpleName() + (e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()) + ")", null);
        } catch (IOException e) {
            throw malformed(at, "not JSON (" + e.getClass().getSimpleName() + ")", null);
        }
        if (event == null || !event.isObject()) {
            throw malformed(at, "not a JSON object", null);
        }
        String identity = identity(at, event);
        ObjectNode details = mapper.createObjectNode();
        event.fields().forEachRemaining(f -> {
            if (detailFields.contains(f.getKey())) {
                details.set(f.getKey(), f.getValue());
            }
        });
        Instant receivedAt = message.receivedAt();
        ObjectNode payload = mapper.createObjectNode();
        payload.put("topic", topic);
        payload.put("notifiedAt", receivedAt.toString());
        payload.set("event", event);
        return new BieEvent(identity, BieEvent.idOf(identity), topic, route, details.toString(),
                eventAt(at, event.get("eventTime")), scalar(at, event, "claimId"), scalar(at, event, "contentionId"),
                scalar(at, event, "contentionClassificationName"), diagnosticCodes(at, event),
                LocalDateTime.ofInstant(receivedAt, ZoneOffset.UTC), payload.toString());
    }

    private String identity(SourceCoordinates at, JsonNode event) {
        if (idField == null) {
            return at.destination() + '/' + at.partition() + '/' + at.position();
        }
        JsonNode id = event.get(idField);
        if (id == null || !id.isValueNode() || id.isNull() || id.asText().isBlank()) {
            throw malformed(at, "has no value in its id field '" + idField + "'", null);
        }
        return at.destination() + '/' + id.asText();
    }

    private static LocalDateTime eventAt(SourceCoordinates at, JsonNode time) {
        if (time == null || time.isNull()) {
            return null;
        }
        try {
            if (time.isIntegralNumber()) {
                return LocalDateTime.ofInstant(Instant.ofEpochMilli(time.asLong()), ZoneOffset.UTC);
            }
            if (time.isTextual()) {
                String s = time.asText();
                try {
                    return OffsetDateTime.parse(s).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
                } catch (DateTimeParseException notOffset) {
                    return LocalDateTime.parse(s); // no offset written: UTC, as every timestamp here
                }
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            throw malformed(at, "eventTime is neither epoch milliseconds nor an ISO-8601 time", null);
        }
        throw malformed(at, "eventTime is neither epoch milliseconds nor an ISO-8601 time", null);
    }

    private static String scalar(SourceCoordinates at, JsonNode event, String field) {
        JsonNode v = event.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw malformed(at, field + " is not a single value", null);
        }
        return v.asText();
    }

    /** {@code diagnosticCode} (one code) and/or {@code diagnosticCodes} (an array), distinct, in order. */
    private static List<String> diagnosticCodes(SourceCoordinates at, JsonNode event) {
        Set<String> codes = new LinkedHashSet<>();
        JsonNode one = event.get("diagnosticCode");
        if (one != null && !one.isNull()) {
            codes.add(code(at, one));
        }
        JsonNode many = event.get("diagnosticCodes");
        if (many != null && !many.isNull()) {
            if (!many.isArray()) {
                throw malformed(at, "diagnosticCodes is not an array", null);
            }
            many.forEach(c -> codes.add(code(at, c)));
        }
        return new ArrayList<>(codes);
    }

    private static String code(SourceCoordinates at, JsonNode c) {
        String s = c.isValueNode() ? c.asText().trim() : "";
        if (s.isEmpty() || s.length() > MAX_DIAGNOSTIC_CODE_LENGTH) {
            throw malformed(at, "a diagnostic code must be 1 to " + MAX_DIAGNOSTIC_CODE_LENGTH + " characters", null);
        }
        return s;
    }

    private static PermanentFailure malformed(SourceCoordinates at, String why, Throwable cause) {
        return new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "event " + at + " " + why, at.destination(), null, cause);
    }

    /** Events of one contention are stored in the order Kafka delivered them. */
    @Override
    public String orderingKey(BieEvent e) {
        return e.contentionId() != null ? e.topic() + "/contention/" + e.contentionId() : e.identity();
    }

    /**
     * None: the primary key of {@code bie_event} is the relay's idempotency store (see {@link EventLog}).
     * It holds across instances and restarts, in the transaction that stores the event. A broker-core
     * store in addition would either grow without bound (in memory: one entry per event for the life
     * of the process) or double the writes (JDBC).
     */
    @Override
    public Optional<IdempotencyKey> idempotencyKey(BieEvent e) {
        return Optional.empty();
    }

    @Override
    public String fingerprint(BieEvent e) {
        return e.id().toString();
    }

    @Override
    public String tenant(BieEvent e) {
        return e.topic();
    }

    @Override
    public String trackingId(BieEvent e) {
        return e.identity();
    }
}
