package io.github.meterstream.core.rollup;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One event to aggregate: in {@code group} (what one roll-up covers, e.g. a subscription), with an
 * {@code id} unique in its group (the dedupe key), an {@code amount} summed per {@code bucket} (e.g.
 * a unit and a day), a {@code fingerprint} of its content (the same id with another fingerprint is a
 * conflict) and a {@code lineage} text kept for tracing (where it came from).
 */
public final class StagedEvent {

    private final String group;
    private final String id;
    private final String bucket;
    private final BigDecimal amount;
    private final String fingerprint;
    private final String lineage;
    private final Instant receivedAt;

    public StagedEvent(String group, String id, String bucket, BigDecimal amount, String fingerprint, String lineage, Instant receivedAt) {
        this.group = requireText(group, "group");
        this.id = requireText(id, "id");
        this.bucket = requireText(bucket, "bucket");
        this.amount = Objects.requireNonNull(amount, "amount");
        this.fingerprint = requireText(fingerprint, "fingerprint");
        this.lineage = lineage;
        this.receivedAt = Objects.requireNonNull(receivedAt, "receivedAt");
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    public String group() {
        return group;
    }

    public String id() {
        return id;
    }

    public String bucket() {
        return bucket;
    }

    public BigDecimal amount() {
        return amount;
    }

    public String fingerprint() {
        return fingerprint;
    }

    public String lineage() {
        return lineage;
    }

    public Instant receivedAt() {
        return receivedAt;
    }

    @Override
    public String toString() {
        return group + '/' + id + ' ' + bucket + '=' + amount.toPlainString();
    }
}
