package io.github.meterstream.core.source;

import java.util.Objects;

/**
 * Where a message came from, precisely enough for a person to find it in the broker: the source
 * name from configuration, the destination (topic or queue), the partition when the broker has
 * partitions, and the position (offset, delivery tag or message id).
 */
public final class SourceCoordinates {

    private final String source;
    private final String destination;
    private final String partition;
    private final String position;

    private SourceCoordinates(String source, String destination, String partition, String position) {
        this.source = Objects.requireNonNull(source, "source");
        this.destination = Objects.requireNonNull(destination, "destination");
        this.partition = partition;
        this.position = Objects.requireNonNull(position, "position");
    }

    /** Coordinates of a message on an unpartitioned destination (a queue). */
    public static SourceCoordinates of(String source, String destination, String position) {
        return new SourceCoordinates(source, destination, null, position);
    }

    /** Coordinates of a message on a partitioned destination (a Kafka topic partition). */
    public static SourceCoordinates of(String source, String destination, int partition, long offset) {
        return new SourceCoordinates(source, destination, Integer.toString(partition), Long.toString(offset));
    }

    public String source() {
        return source;
    }

    public String destination() {
        return destination;
    }

    /** The partition, or {@code null} when the destination has none. */
    public String partition() {
        return partition;
    }

    public String position() {
        return position;
    }

    /** {@code source:destination[partition]@position}, the form used in logs and envelopes. */
    @Override
    public String toString() {
        return source + ':' + destination + (partition == null ? "" : "[" + partition + ']') + '@' + position;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SourceCoordinates)) {
            return false;
        }
        SourceCoordinates that = (SourceCoordinates) o;
        return source.equals(that.source) && destination.equals(that.destination)
                && Objects.equals(partition, that.partition) && position.equals(that.position);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, destination, partition, position);
    }
}
