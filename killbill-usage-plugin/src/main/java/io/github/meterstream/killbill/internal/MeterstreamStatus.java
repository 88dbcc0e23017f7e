package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.line.KillbillLine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
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
    private final BooleanSupplier configurationErrorFailsKillbill;

    /**
     * @param configurationErrorFailsKillbill whether a configuration error (nothing started) fails Kill
     *        Bill's healthcheck: when a source opted in with {@code health.fail-killbill-healthcheck=true}
     */
    public MeterstreamStatus(KillbillLine line, Supplier<MeterstreamRuntime> runtime, Supplier<String> configurationError,
                             BooleanSupplier configurationErrorFailsKillbill) {
        this.line = line;
        this.runtime = runtime;
        this.configurationError = configurationError;
        this.configurationErrorFailsKillbill = configurationErrorFailsKillbill;
    }

    public HealthReport health() {
        MeterstreamRuntime r = runtime.get();
        HealthReport report = r == null ? MeterstreamRuntime.failedToConfigure(startupError(),
                configurationErrorFailsKillbill.getAsBoolean()) : r.health();
        Map<String, Object> details = new LinkedHashMap<>(report.details());
        details.put("killbillApi", line.describe());
        return new HealthReport(report.healthy(), report.failsKillbillHealthcheck(), report.message(), details);
    }

    public Map<String, Object> status(String tenantId) {
        MeterstreamRuntime r = runtime.get();
        if (r == null) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("plugin", MeterstreamConfigProperties.PLUGIN_NAME);
            out.put("killbillApi", line.describe());
            out.put("healthy", false);
            out.put("failsKillbillHealthcheck", configurationErrorFailsKillbill.getAsBoolean());
            out.put("startupError", startupError());
            out.put("heldTenants", Map.of());
            out.put("sources", Map.of());
            return out;
        }
        return r.status(tenantId);
    }

    private String startupError() {
        String error = configurationError.get();
        return error == null ? "not started" : error;
    }
}
