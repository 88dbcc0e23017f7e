package io.github.meterstream.core.usage.internal;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a usage record date. The accepted shapes are fixed by {@link #PATTERN}, the same
 * expression the JSON Schema uses, so that the schema and the Java path accept the same text;
 * java.time then rejects what a pattern cannot see (February 30th).
 */
public final class RecordDates {

    /**
     * {@code 2024-04-20}, {@code 2024-04-20T02:59}, {@code 2024-04-20T02:59:33.147} and either of
     * those followed by {@code Z} or an offset from {@code -18:00} to {@code +18:00}. Kept
     * character for character equal to the {@code pattern} of {@code recordDate} in
     * {@code usage-message.schema.json} (a test checks it).
     */
    public static final String PATTERN = "^(\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01]))"
            + "(T(([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,9})?)?)(Z|[+-](0\\d|1[0-7]):[0-5]\\d|[+-]18:00)?)?$";

    /** What a record date must be, for messages to people. */
    public static final String SHAPE = "an ISO-8601 date-time with offset (2024-04-20T02:59:33.147+02:00, "
            + "2024-04-20T00:59:33Z), a local date-time read as UTC (2024-04-20T02:59:33.147) or a date read as the "
            + "start of that day in UTC (2024-04-20)";

    private static final Pattern COMPILED = Pattern.compile(PATTERN);

    private RecordDates() {
    }

    /** A date as read from a message. */
    public static final class Parsed {
        private final Instant instant;
        private final boolean dateOnly;

        Parsed(Instant instant, boolean dateOnly) {
            this.instant = instant;
            this.dateOnly = dateOnly;
        }

        public Instant instant() {
            return instant;
        }

        public boolean dateOnly() {
            return dateOnly;
        }
    }

    /** The date, or {@code null} when {@code text} is null or not an accepted date. */
    public static Parsed parseOrNull(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = COMPILED.matcher(text);
        if (!m.matches()) {
            return null;
        }
        try {
            if (m.group(4) == null) {
                return new Parsed(LocalDate.parse(m.group(1)).atStartOfDay(ZoneOffset.UTC).toInstant(), true);
            }
            if (m.group(9) == null) {
                return new Parsed(LocalDateTime.parse(text).toInstant(ZoneOffset.UTC), false);
            }
            return new Parsed(OffsetDateTime.parse(text).toInstant(), false);
        } catch (DateTimeException e) {
            return null;
        }
    }
}
