package io.github.meterstream.core.event;

import io.github.meterstream.core.source.SourceCoordinates;

/** The coordinates of one message as {@link PipelineListener} receives them. */
public final class MessageEvent {

    private final SourceCoordinates coordinates;
    private final String tenant;
    private final String trackingId;
    private final int attempt;

    public MessageEvent(SourceCoordinates coordinates, String tenant, String trackingId, int attempt) {
        this.coordinates = coordinates;
        this.tenant = tenant;
        this.trackingId = trackingId;
        this.attempt = attempt;
    }

    public SourceCoordinates coordinates() {
        return coordinates;
    }

    /** The tenant, or {@code null} when the payload could not be read that far. */
    public String tenant() {
        return tenant;
    }

    /** The tracking id, or {@code null} when the payload could not be read that far. */
    public String trackingId() {
        return trackingId;
    }

    /** How many times the pipeline tried the message, this delivery included. */
    public int attempt() {
        return attempt;
    }

    @Override
    public String toString() {
        return coordinates + (tenant == null ? "" : " tenant=" + tenant) + (trackingId == null ? "" : " trackingId=" + trackingId)
                + " attempt=" + attempt;
    }
}
