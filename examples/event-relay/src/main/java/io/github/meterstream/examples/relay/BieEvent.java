package io.github.meterstream.examples.relay;

import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;

/**
 * One decoded Kafka event, ready to store: its identity and the uuid derived from it, the indexed
 * columns, the allow-listed details, and the exact RabbitMQ message for the outbox.
 *
 * @param identity        topic/partition/offset, or topic/&lt;id field value&gt;
 * @param id              {@code UUID.nameUUIDFromBytes(identity)}: equal for every delivery of the event
 * @param details         JSON of the allow-listed fields only (what {@code bie_event.event_details} holds)
 * @param receivedAt      when the relay received the event, UTC
 * @param messagePayload  {@code {"topic","notifiedAt","event"}}, the whole event, for RabbitMQ only
 */
public record BieEvent(String identity, UUID id, String topic, TopicExchanges.Route route, String details,
                       LocalDateTime eventAt, String benefitClaimId, String contentionId, String classification,
                       List<String> diagnosticCodes, LocalDateTime receivedAt, String messagePayload) {

    /** The uuid of the event with this identity. */
    public static UUID idOf(String identity) {
        return UUID.nameUUIDFromBytes(("bie-event:" + identity).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        // never the payload or the details: logs name an event by its coordinates only
        return "BieEvent{" + identity + ", id=" + id + ", type=" + route.eventType() + '}';
    }
}
