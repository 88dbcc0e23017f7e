package io.github.meterstream.core.usage;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.meterstream.core.usage.internal.IsoRecordDate;
import io.github.meterstream.core.usage.internal.KillBillDecimal;
import io.github.meterstream.core.usage.internal.RecordDates;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One amount of a unit used at one time. The date is kept as sent and read once here, so that
 * validation can name the exact record whose date is wrong. Immutable.
 */
public final class UsageRecordEntry {

    @NotNull(message = "is required: " + RecordDates.SHAPE)
    @IsoRecordDate
    private final String recordDate;

    @NotNull(message = "is required: a JSON number, 0 or more")
    @DecimalMin(value = "0", message = "must not be negative")
    @KillBillDecimal
    private final BigDecimal amount;

    private final RecordDates.Parsed parsedDate;

    @JsonCreator
    UsageRecordEntry(@JsonProperty("recordDate") String recordDate, @JsonProperty("amount") BigDecimal amount) {
        this.recordDate = recordDate;
        this.amount = amount;
        this.parsedDate = RecordDates.parseOrNull(recordDate);
    }

    /** When the usage happened, or {@code null} when the date is missing or unreadable (a validation failure). */
    public Instant recordDate() {
        return parsedDate == null ? null : parsedDate.instant();
    }

    /** True when the producer sent a date without a time ({@code 2024-04-20}, read as 00:00 UTC). */
    public boolean dateOnly() {
        return parsedDate != null && parsedDate.dateOnly();
    }

    /** The date exactly as sent. */
    public String recordDateText() {
        return recordDate;
    }

    /** The amount exactly as sent (scale included: {@code 1.50} stays {@code 1.50}). */
    public BigDecimal amount() {
        return amount;
    }

    @Override
    public String toString() {
        return "UsageRecordEntry{" + recordDate + ", " + (amount == null ? null : amount.toPlainString()) + '}';
    }
}
