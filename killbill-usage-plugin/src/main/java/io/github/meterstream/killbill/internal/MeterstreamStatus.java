package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.line.KillbillLine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the status servlet and the healthcheck read; it follows the plugin's current runtime, or
 * its configuration error when it could not start. Both name the Kill Bill line in use
 * ({@code killbillApi}), also when nothing started.
 */
public final class MeterstreamStatus {

    private final KillbillLine line;
    private final Supplier<MeterstreamRuntime> runtime;
    private final Supplier<String> configurationError;

    public MeterstreamStatus(KillbillLine line, Supplier<MeterstreamRuntime> runtime, Supplier<String> configurationError) {
        this.line = line;
        this.runtime = runtime;
        this.configurationError = configurationError;
    }

    public HealthReport health() {
        MeterstreamRuntime r = runtime.get();
        HealthReport report = r == null ? MeterstreamRuntime.failedToConfigure(startupError()) : r.health();
        Map<String, Object> details = new LinkedHashMap<>(report.details());
        details.put("killbillApi", line.describe());
        return new HealthReport(report.healthy(), report.message(), details);
    }

    public Map<String, Object> status(String tenantId) {
        MeterstreamRuntime r = runtime.get();
        if (r == null) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("plugin", MeterstreamConfigProperties.PLUGIN_NAME);
            out.put("killbillApi", line.describe());
            out.put("healthy", false);
            out.put("startupError", startupError());
            return out;
        }
        return r.status(tenantId);
    }

    private String startupError() {
        String error = configurationError.get();
        return error == null ? "not started" : error;
    }
}
