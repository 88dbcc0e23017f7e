package io.github.meterstream.core.failure;

import io.github.meterstream.core.source.SourceCoordinates;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Why a message was dead-lettered, in a form a person can act on and a program can filter: a
 * stable reason code, a sentence saying what is wrong and how to fix it, the exception class, where
 * the message came from, how often it was tried and when, and the tenant and tracking id when the
 * payload could be read that far.
 *
 * <p>Sources add {@link #toHeaders(int)} to the original headers of the dead-letter copy. Header
 * names are plain identifiers ({@code meterstream_dlq_*}) so that they are legal as JMS property
 * names, AMQP header names and Kafka header keys alike.
 */
public final class DeadLetterEnvelope {

    /** Header names written by {@link #toHeaders(int)}. */
    public static final String REASON_CODE = "meterstream_dlq_reason_code";
    public static final String REASON = "meterstream_dlq_reason";
    public static final String EXCEPTION_CLASS = "meterstream_dlq_exception_class";
    public static final String SOURCE = "meterstream_dlq_source";
    public static final String DESTINATION = "meterstream_dlq_destination";
    public static final String PARTITION = "meterstream_dlq_partition";
    public static final String POSITION = "meterstream_dlq_position";
    public static final String ATTEMPTS = "meterstream_dlq_attempts";
    public static final String FIRST_FAILURE_AT = "meterstream_dlq_first_failure_at";
    public static final String LAST_FAILURE_AT = "meterstream_dlq_last_failure_at";
    public static final String TENANT = "meterstream_dlq_tenant";
    public static final String TRACKING_ID = "meterstream_dlq_tracking_id";

    /** Default cap on one header value, in UTF-8 bytes: far below any broker's frame size. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 2048;

    private static final String TRUNCATED = "...[truncated]";

    private final String reasonCode;
    private final String reason;
    private final String exceptionClass;
    private final SourceCoordinates coordinates;
    private final int attempts;
    private final Instant firstFailureAt;
    private final Instant lastFailureAt;
    private final String tenant;
    private final String trackingId;

    private DeadLetterEnvelope(Builder b) {
        this.reasonCode = requireText(b.reasonCode, "reasonCode");
        this.reason = requireText(b.reason, "reason");
        this.exceptionClass = b.exceptionClass;
        this.coordinates = Objects.requireNonNull(b.coordinates, "coordinates");
        this.attempts = b.attempts;
        this.lastFailureAt = Objects.requireNonNull(b.lastFailureAt, "lastFailureAt");
        this.firstFailureAt = b.firstFailureAt == null ? b.lastFailureAt : b.firstFailureAt;
        this.tenant = b.tenant;
        this.trackingId = b.trackingId;
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
        }
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A stable, upper-case code such as {@code MALFORMED_PAYLOAD}; see {@link ReasonCodes}. */
    public String reasonCode() {
        return reasonCode;
    }

    /** What is wrong with the message and what to do about it. */
    public String reason() {
        return reason;
    }

    /** The class of the exception behind the failure, or {@code null}. */
    public String exceptionClass() {
        return exceptionClass;
    }

    public SourceCoordinates coordinates() {
        return coordinates;
    }

    public int attempts() {
        return attempts;
    }

    public Instant firstFailureAt() {
        return firstFailureAt;
    }

    public Instant lastFailureAt() {
        return lastFailureAt;
    }

    /** The tenant the message names, or {@code null} if the payload could not be read that far. */
    public String tenant() {
        return tenant;
    }

    /** The message's tracking id, or {@code null} if the payload could not be read that far. */
    public String trackingId() {
        return trackingId;
    }

    /**
     * The envelope as header values, each at most {@code maxValueBytes} UTF-8 bytes (longer values
     * are cut on a character boundary and end in {@code ...[truncated]}), so that a long reason
     * cannot make a broker reject the frame. Absent values are left out.
     */
    public Map<String, String> toHeaders(int maxValueBytes) {
        if (maxValueBytes < 64) {
            throw new IllegalArgumentException("maxValueBytes must be at least 64, was " + maxValueBytes);
        }
        Map<String, String> h = new LinkedHashMap<>();
        put(h, REASON_CODE, reasonCode, maxValueBytes);
        put(h, REASON, reason, maxValueBytes);
        put(h, EXCEPTION_CLASS, exceptionClass, maxValueBytes);
        put(h, SOURCE, coordinates.source(), maxValueBytes);
        put(h, DESTINATION, coordinates.destination(), maxValueBytes);
        put(h, PARTITION, coordinates.partition(), maxValueBytes);
        put(h, POSITION, coordinates.position(), maxValueBytes);
        put(h, ATTEMPTS, Integer.toString(attempts), maxValueBytes);
        put(h, FIRST_FAILURE_AT, firstFailureAt.toString(), maxValueBytes);
        put(h, LAST_FAILURE_AT, lastFailureAt.toString(), maxValueBytes);
        put(h, TENANT, tenant, maxValueBytes);
        put(h, TRACKING_ID, trackingId, maxValueBytes);
        return Collections.unmodifiableMap(h);
    }

    /**
     * The envelope {@link #toHeaders} wrote, read back from a dead letter's headers (tools that
     * browse or redrive a dead-letter destination); empty when the headers carry no envelope.
     */
    public static java.util.Optional<DeadLetterEnvelope> fromHeaders(Map<String, String> headers) {
        String reasonCode = headers.get(REASON_CODE);
        String destination = headers.get(DESTINATION);
        String last = headers.get(LAST_FAILURE_AT);
        if (reasonCode == null || destination == null || last == null) {
            return java.util.Optional.empty();
        }
        String partition = headers.get(PARTITION);
        String source = headers.getOrDefault(SOURCE, "");
        String position = headers.getOrDefault(POSITION, "");
        SourceCoordinates where;
        try {
            where = partition == null ? SourceCoordinates.of(source, destination, position)
                    : SourceCoordinates.of(source, destination, Integer.parseInt(partition), Long.parseLong(position));
        } catch (NumberFormatException e) {
            where = SourceCoordinates.of(source, destination, position);
        }
        try {
            return java.util.Optional.of(builder()
                    .reasonCode(reasonCode)
                    .reason(headers.getOrDefault(REASON, reasonCode))
                    .exceptionClass(headers.get(EXCEPTION_CLASS))
                    .coordinates(where)
                    .attempts(Math.max(1, Integer.parseInt(headers.getOrDefault(ATTEMPTS, "1"))))
                    .firstFailureAt(headers.containsKey(FIRST_FAILURE_AT) ? Instant.parse(headers.get(FIRST_FAILURE_AT)) : null)
                    .lastFailureAt(Instant.parse(last))
                    .tenant(headers.get(TENANT))
                    .trackingId(headers.get(TRACKING_ID))
                    .build());
        } catch (RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** True for the header names an envelope writes ({@code meterstream_dlq_*}). */
    public static boolean isEnvelopeHeader(String name) {
        return name.startsWith("meterstream_dlq_");
    }

    private static void put(Map<String, String> headers, String name, String value, int maxBytes) {
        if (value != null) {
            headers.put(name, capUtf8(value, maxBytes));
        }
    }

    /** Cuts {@code value} to at most {@code maxBytes} UTF-8 bytes without splitting a character. */
    static String capUtf8(String value, int maxBytes) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes) {
            return value;
        }
        int budget = maxBytes - TRUNCATED.length();
        int used = 0;
        int end = 0;
        while (end < value.length()) {
            int cp = value.codePointAt(end);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (used + len > budget) {
                break;
            }
            used += len;
            end += Character.charCount(cp);
        }
        return value.substring(0, end) + TRUNCATED;
    }

    @Override
    public String toString() {
        return reasonCode + ": " + reason + " [" + coordinates + ", attempts " + attempts
                + (tenant == null ? "" : ", tenant " + tenant)
                + (trackingId == null ? "" : ", trackingId " + trackingId) + ']';
    }

    /** Builds a {@link DeadLetterEnvelope}. */
    public static final class Builder {
        private String reasonCode;
        private String reason;
        private String exceptionClass;
        private SourceCoordinates coordinates;
        private int attempts = 1;
        private Instant firstFailureAt;
        private Instant lastFailureAt;
        private String tenant;
        private String trackingId;

        private Builder() {
        }

        public Builder reasonCode(String reasonCode) {
            this.reasonCode = reasonCode;
            return this;
        }

        public Builder reason(String reason) {
            this.reason = reason;
            return this;
        }

        public Builder exceptionClass(String exceptionClass) {
            this.exceptionClass = exceptionClass;
            return this;
        }

        public Builder coordinates(SourceCoordinates coordinates) {
            this.coordinates = coordinates;
            return this;
        }

        public Builder attempts(int attempts) {
            this.attempts = attempts;
            return this;
        }

        public Builder firstFailureAt(Instant firstFailureAt) {
            this.firstFailureAt = firstFailureAt;
            return this;
        }

        public Builder lastFailureAt(Instant lastFailureAt) {
            this.lastFailureAt = lastFailureAt;
            return this;
        }

        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        public Builder trackingId(String trackingId) {
            this.trackingId = trackingId;
            return this;
        }

        public DeadLetterEnvelope build() {
            return new DeadLetterEnvelope(this);
        }
    }
}
