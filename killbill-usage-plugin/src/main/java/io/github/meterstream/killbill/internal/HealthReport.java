package io.github.meterstream.killbill.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The plugin's health in words: healthy or not, and why, per source. */
public final class HealthReport {

    private final boolean healthy;
    private final String message;
    private final Map<String, Object> details;

    HealthReport(boolean healthy, String message, Map<String, Object> details) {
        this.healthy = healthy;
        this.message = message;
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public boolean healthy() {
        return healthy;
    }

    /** One line: "3 sources consuming" or the first reason it is unhealthy. */
    public String message() {
        return message;
    }

    /** Per source state and reasons, plus {@code message}. */
    public Map<String, Object> details() {
        return details;
    }

    @Override
    public String toString() {
        return (healthy ? "healthy: " : "UNHEALTHY: ") + message;
    }
}
