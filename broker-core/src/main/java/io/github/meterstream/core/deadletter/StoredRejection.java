package io.github.meterstream.core.deadletter;

import java.time.Instant;
import java.util.Objects;

/** One entry of a {@link DeadLetterStore}: a distinct rejected message and what became of it. */
public final class StoredRejection {

    /** Where an entry stands. */
    public enum State {
        /** Rejected, waiting for a person: replay it, or discard it. */
        REJECTED,
        /** A person decided it needs nothing more; kept for the record. */
        DISCARDED,
        /** Replayed, and the replay recorded it (or found it recorded already). */
        REPLAYED
    }

    /** What one replay of an entry did. */
    public enum ReplayOutcome {
        /** The pipeline processed it this time. */
        RECORDED,
        /** It had been processed already: acknowledged, nothing done twice. */
        DUPLICATE,
        /** Refused again (the detail says why); the entry stays open. */
        REJECTED_AGAIN,
        /** The downstream failed transiently; the entry stays open, to be replayed later. */
        FAILED
    }

    final String id;
    final String source;
    final String tenant;
    final String reasonCode;
    final String reason;
    final String trackingId;
    final String subject;
    final String destination;
    final String partition;
    final String position;
    final int attempts;
    final Instant firstSeen;
    final Instant lastSeen;
    final int timesSeen;
    final byte[] payload;
    final int payloadLength;
    final State state;
    final Instant stateAt;
    final String stateBy;
    final ReplayOutcome lastReplayOutcome;
    final String lastReplayDetail;
    final Instant lastReplayAt;

    @SuppressWarnings("checkstyle:ParameterNumber")
    StoredRejection(String id, String source, String tenant, String reasonCode, String reason, String trackingId, String subject,
                    String destination, String partition, String position, int attempts, Instant firstSeen, Instant lastSeen,
                    int timesSeen, byte[] payload, int payloadLength, State state, Instant stateAt, String stateBy,
                    ReplayOutcome lastReplayOutcome, String lastReplayDetail, Instant lastReplayAt) {
        this.id = Objects.requireNonNull(id, "id");
        this.source = source;
        this.tenant = tenant;
        this.reasonCode = reasonCode;
        this.reason = reason;
        this.trackingId = trackingId;
        this.subject = subject;
        this.destination = destination;
        this.partition = partition;
        this.position = position;
        this.attempts = attempts;
        this.firstSeen = firstSeen;
        this.lastSeen = lastSeen;
        this.timesSeen = timesSeen;
        this.payload = payload;
        this.payloadLength = payloadLength;
        this.state = state;
        this.stateAt = stateAt;
        this.stateBy = stateBy;
        this.lastReplayOutcome = lastReplayOutcome;
        this.lastReplayDetail = lastReplayDetail;
        this.lastReplayAt = lastReplayAt;
    }

    public String id() {
        return id;
    }

    /** The source (pipeline) that rejected it. */
    public String source() {
        return source;
    }

    /** The tenant as the dead-letter envelope names it, or null when the message named none that could be read. */
    public String tenant() {
        return tenant;
    }

    public String reasonCode() {
        return reasonCode;
    }

    /** What to fix, in words, from the last rejection. */
    public String reason() {
        return reason;
    }

    public String trackingId() {
        return trackingId;
    }

    /** What the message is about, as it names it (a subscription, for usage), or null. */
    public String subject() {
        return subject;
    }

    /** Where it was consumed from: topic or queue. */
    public String destination() {
        return destination;
    }

    /** The partition, or null where the broker has none. */
    public String partition() {
        return partition;
    }

    /** Offset or message id in the destination, at the last rejection. */
    public String position() {
        return position;
    }

    /** Delivery attempts before the last rejection. */
    public int attempts() {
        return attempts;
    }

    public Instant firstSeen() {
        return firstSeen;
    }

    public Instant lastSeen() {
        return lastSeen;
    }

    /** How often this message was rejected (redelivered or resubmitted copies included). */
    public int timesSeen() {
        return timesSeen;
    }

    /** The payload, cut at the store's cap when {@link #payloadTruncated()}; null when not loaded (lists). */
    public byte[] payload() {
        return payload == null ? null : payload.clone();
    }

    /** The payload's length as received. */
    public int payloadLength() {
        return payloadLength;
    }

    /** True when the stored payload is shorter than the message was: such an entry cannot be replayed from here. */
    public boolean payloadTruncated() {
        return payload != null && payload.length < payloadLength;
    }

    public State state() {
        return state;
    }

    /** When the state last changed (rejected, discarded or replayed). */
    public Instant stateAt() {
        return stateAt;
    }

    /** Who discarded or replayed it; null while only rejected. */
    public String stateBy() {
        return stateBy;
    }

    /** What the last replay did, or null when never replayed. */
    public ReplayOutcome lastReplayOutcome() {
        return lastReplayOutcome;
    }

    public String lastReplayDetail() {
        return lastReplayDetail;
    }

    public Instant lastReplayAt() {
        return lastReplayAt;
    }

    @Override
    public String toString() {
        return "StoredRejection{" + id + ' ' + state + ' ' + reasonCode + " tenant=" + tenant + " trackingId=" + trackingId
                + " seen " + timesSeen + "x, last " + lastSeen + '}';
    }
}
