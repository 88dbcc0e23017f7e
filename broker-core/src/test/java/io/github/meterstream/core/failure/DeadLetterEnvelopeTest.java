package io.github.meterstream.core.failure;

import io.github.meterstream.core.source.SourceCoordinates;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterEnvelopeTest {

    private static DeadLetterEnvelope.Builder envelope() {
        return DeadLetterEnvelope.builder().reasonCode("INVALID_MESSAGE").reason("amount: must not be negative")
                .coordinates(SourceCoordinates.of("usage", "usage-topic", 3, 1234L))
                .lastFailureAt(Instant.parse("2026-11-22T10:00:00Z"));
    }

    @Test
    @DisplayName("the envelope carries reason, coordinates, attempts, times, tenant and tracking id as headers")
    void headers() {
        Map<String, String> h = envelope().attempts(3).tenant("t1").trackingId("trk-1")
                .firstFailureAt(Instant.parse("2026-11-22T09:59:00Z")).exceptionClass("java.lang.IllegalArgumentException")
                .build().toHeaders(2048);
        assertThat(h).containsEntry(DeadLetterEnvelope.REASON_CODE, "INVALID_MESSAGE")
                .containsEntry(DeadLetterEnvelope.REASON, "amount: must not be negative")
                .containsEntry(DeadLetterEnvelope.SOURCE, "usage")
                .containsEntry(DeadLetterEnvelope.DESTINATION, "usage-topic")
                .containsEntry(DeadLetterEnvelope.PARTITION, "3")
                .containsEntry(DeadLetterEnvelope.POSITION, "1234")
                .containsEntry(DeadLetterEnvelope.ATTEMPTS, "3")
                .containsEntry(DeadLetterEnvelope.FIRST_FAILURE_AT, "2026-11-22T09:59:00Z")
                .containsEntry(DeadLetterEnvelope.LAST_FAILURE_AT, "2026-11-22T10:00:00Z")
                .containsEntry(DeadLetterEnvelope.TENANT, "t1")
                .containsEntry(DeadLetterEnvelope.TRACKING_ID, "trk-1")
                .containsEntry(DeadLetterEnvelope.EXCEPTION_CLASS, "java.lang.IllegalArgumentException");
        assertThat(h.keySet()).allMatch(k -> k.matches("[a-z_]+"), "header names are plain identifiers");
    }

    @Test
    @DisplayName("values unknown at failure time are left out rather than written as null")
    void absentValuesLeftOut() {
        Map<String, String> h = envelope().build().toHeaders(2048);
        assertThat(h).doesNotContainKeys(DeadLetterEnvelope.TENANT, DeadLetterEnvelope.TRACKING_ID, DeadLetterEnvelope.EXCEPTION_CLASS);
    }

    @Test
    @DisplayName("a long reason is cut on a character boundary under the byte cap")
    void capped() {
        String reason = "日本語🚀".repeat(1000);
        String value = envelope().reason(reason).build().toHeaders(100).get(DeadLetterEnvelope.REASON);
        assertThat(value.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(100);
        assertThat(value).endsWith("...[truncated]").startsWith("日本語🚀");
        assertThat(value.replace("...[truncated]", "")).doesNotContain("\uFFFD");
    }
}
