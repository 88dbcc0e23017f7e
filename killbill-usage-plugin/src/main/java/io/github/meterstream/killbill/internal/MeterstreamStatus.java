package io.github.meterstream.killbill.internal;

import java.util.Map;
import java.util.function.Supplier;

/**
 * What the status servlet and the healthcheck read; it follows the plugin's current runtime, or
 * its configuration error when it could not start.
 */
public final class MeterstreamStatus {

    private final Supplier<MeterstreamRuntime<?>> runtime;
    private final Supplier<String> configurationError;

    public MeterstreamStatus(Supplier<MeterstreamRuntime<?>> runtime, Supplier<String> configurationError) {
        this.runtime = runtime;
        this.configurationError = configurationError;
    }

    public HealthReport health() {
        MeterstreamRuntime<?> r = runtime.get();
        if (r == null) {
            String error = configurationError.get();
            return MeterstreamRuntime.failedToConfigure(error == null ? "not started" : error);
        }
        return r.health();
    }

    public Map<String, Object> status(String tenantId) {
        MeterstreamRuntime<?> r = runtime.get();
        if (r == null) {
            String error = configurationError.get();
            return Map.of("plugin", "meterstream", "healthy", false, "startupError", error == null ? "not started" : error);
        }
        return r.status(tenantId);
    }
}
