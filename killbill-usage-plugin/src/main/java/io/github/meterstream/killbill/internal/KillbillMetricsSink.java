package io.github.meterstream.killbill.internal;

import org.killbill.commons.metrics.api.Gauge;
import org.killbill.commons.metrics.api.MetricRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Counters and gauges in Kill Bill's metric registry ({@code org.killbill.commons.metrics.api}, Kill Bill 0.24).
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
            return on((MetricRegistry) registry);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.warn("Kill Bill metric registry unavailable, no metrics: {}", e.toString());
            return MetricsSink.NONE;
        }
    }

    /** A sink on {@code registry}: counters, and gauges an operator alerts on (lag, held work, circuit). */
    static MetricsSink on(MetricRegistry registry) {
        return new MetricsSink() {
            @Override
            public void increment(String name) {
                registry.counter(name).inc(1);
            }

            @Override
            public void gauge(String name, Supplier<? extends Number> value) {
                // gauge(name, g) keeps a gauge already registered under name: a restart in place replaces it
                registry.remove(name);
                Gauge<Number> gauge = value::get;
                registry.gauge(name, gauge);
            }

            @Override
            public void remove(String name) {
                registry.remove(name);
            }
        };
    }
}
