package io.github.meterstream.killbill.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plugin's health in words: healthy or not, and why, per source; and whether that must fail Kill
 * Bill's own healthcheck (only a DEGRADED source with {@code health.fail-killbill-healthcheck=true} does).
 */
public final class HealthReport {

    private final boolean healthy;
    private final boolean failsKillbillHealthcheck;
    private final String message;
    private final Map<String, Object> details;

    HealthReport(boolean healthy, boolean failsKillbillHealthcheck, String message, Map<String, Object> details) {
        this.healthy = healthy;
        this.failsKillbillHealthcheck = failsKillbillHealthcheck;
        this.message = message;
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** Every source HEALTHY, by {@link SourceHealthRules}. */
    public boolean healthy() {
        return healthy;
    }

    /** Whether Kill Bill's {@code /1.0/healthcheck} must answer unhealthy for this report. */
    public boolean failsKillbillHealthcheck() {
        return failsKillbillHealthcheck;
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
        return (healthy ? "healthy: " : failsKillbillHealthcheck ? "UNHEALTHY: " : "DEGRADED: ") + message;
    }
}
