package io.github.meterstream.killbill.internal;

import org.killbill.commons.metrics.api.MetricRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters in Kill Bill's metric registry ({@code org.killbill.commons.metrics.api}, Kill Bill 0.24).
 * The activator's {@code metricRegistry} field is reached by reflection and this class is loaded
 * only when it is used, so a Kill Bill without that API (0.22) runs the plugin without metrics
 * instead of failing to load the activator.
 */
public final class KillbillMetricsSink {

    private static final Logger LOG = LoggerFactory.getLogger(KillbillMetricsSink.class);

    private KillbillMetricsSink() {
    }

    /** A sink on {@code activator}'s Kill Bill metric registry, or {@link MetricsSink#NONE}. */
    public static MetricsSink of(Object activator) {
        try {
            Class<?> base = Class.forName("org.killbill.billing.osgi.libs.killbill.KillbillActivatorBase", false,
                    activator.getClass().getClassLoader());
            java.lang.reflect.Field f = base.getDeclaredField("metricRegistry");
            f.setAccessible(true);
            Object osgiRegistry = f.get(activator);
            if (osgiRegistry == null) {
                return MetricsSink.NONE;
            }
            Object registry = osgiRegistry.getClass().getMethod("getMetricRegistry").invoke(osgiRegistry);
            if (!(registry instanceof MetricRegistry)) {
                LOG.warn("Kill Bill's metric registry is not org.killbill.commons.metrics.api.MetricRegistry; no metrics");
                return MetricsSink.NONE;
            }
            MetricRegistry r = (MetricRegistry) registry;
            return name -> r.counter(name).inc(1);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.warn("Kill Bill metric registry unavailable, no metrics: {}", e.toString());
            return MetricsSink.NONE;
        }
    }
}
