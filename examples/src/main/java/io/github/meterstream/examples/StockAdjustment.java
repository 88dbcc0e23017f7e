package io.github.meterstream.examples;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * A warehouse stock movement, the message type of the non-Kill-Bill example:
 * {@code {"eventId":"e-1","warehouse":"W1","sku":"CHAIR-RED","delta":-3}}.
 */
public final class StockAdjustment {

    @NotBlank(message = "is required: the producer's unique id for this movement")
    @Size(max = 128, message = "must be at most 128 characters")
    private final String eventId;

    @NotBlank(message = "is required")
    private final String warehouse;

    @NotBlank(message = "is required")
    private final String sku;

    private final int delta;

    @JsonCreator
    public StockAdjustment(@JsonProperty("eventId") String eventId, @JsonProperty("warehouse") String warehouse,
                           @JsonProperty("sku") String sku, @JsonProperty(value = "delta", required = true) int delta) {
        this.eventId = eventId;
        this.warehouse = warehouse;
        this.sku = sku;
        this.delta = delta;
    }

    public String eventId() {
        return eventId;
    }

    public String warehouse() {
        return warehouse;
    }

    public String sku() {
        return sku;
    }

    public int delta() {
        return delta;
    }
}
