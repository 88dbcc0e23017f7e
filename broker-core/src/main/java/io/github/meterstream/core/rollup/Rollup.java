package io.github.meterstream.core.rollup;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** What one flush of a group sends: its fixed id, the group, and the sum of each bucket's staged amounts. */
public final class Rollup {

    private final String id;
    private final String group;
    private final Map<String, BigDecimal> sums;
    private final int events;
    private final Instant createdAt;

    Rollup(String id, String group, Map<String, BigDecimal> sums, int events, Instant createdAt) {
        this.id = id;
        this.group = group;
        this.sums = Collections.unmodifiableMap(new TreeMap<>(sums));
        this.events = events;
        this.createdAt = createdAt;
    }

    /** Fixed when the roll-up is composed, before it is sent: send it downstream as its idempotency key. */
    public String id() {
        return id;
    }

    public String group() {
        return group;
    }

    /** Per bucket, the sum of the amounts of the events in this roll-up, buckets in order. */
    public Map<String, BigDecimal> sums() {
        return sums;
    }

    /** How many events it sums. */
    public int events() {
        return events;
    }

    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public String toString() {
        return "Rollup{" + id + ' ' + group + ' ' + sums + ", " + events + " event(s)}";
    }
}
