package io.github.meterstream.core.usage;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The usage records of one unit type (a Kill Bill usage unit, such as {@code api-calls}). Immutable. */
public final class UnitUsageRecord {

    @NotNull(message = "is required: the Kill Bill unit type the records count, such as api-calls")
    @Size(min = 1, max = 255, message = "must be 1 to 255 characters")
    private final String unitType;

    @NotEmpty(message = "must hold at least one record of recordDate and amount")
    private final List<@NotNull(message = "must be an object, not null") @Valid UsageRecordEntry> usageRecords;

    @JsonCreator
    UnitUsageRecord(@JsonProperty("unitType") String unitType,
                    @JsonProperty("usageRecords") List<UsageRecordEntry> usageRecords) {
        this.unitType = unitType;
        this.usageRecords = usageRecords == null ? null : Collections.unmodifiableList(new ArrayList<>(usageRecords));
    }

    public String unitType() {
        return unitType;
    }

    /** The records in message order; never {@code null} (empty when absent). */
    public List<UsageRecordEntry> usageRecords() {
        return usageRecords == null ? Collections.emptyList() : usageRecords;
    }

    @Override
    public String toString() {
        return "UnitUsageRecord{" + unitType + ", " + usageRecords().size() + " records}";
    }
}
