package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.fakes.Fake;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.killbill.billing.osgi.libs.killbill.KillbillActivatorBase;
import org.killbill.billing.osgi.libs.killbill.OSGIMetricRegistry;
import org.killbill.commons.metrics.api.Counter;
import org.killbill.commons.metrics.api.Gauge;
import org.killbill.commons.metrics.api.MetricRegistry;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Metrics in Kill Bill's registry")
class KillbillMetricsSinkTest {

    static final class Activator extends KillbillActivatorBase {
        void registry(OSGIMetricRegistry r) {
            this.metricRegistry = r;
        }
    }

    @Test
    @DisplayName("each event increments the named counter of the activator's metric registry")
    void counters() {
        Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
        MetricRegistry registry = Fake.of(MetricRegistry.class, "counter", (Fake.Answer) a -> Fake.of(Counter.class,
                "inc", (Fake.Answer) n -> counts.computeIfAbsent((String) a[0], k -> new AtomicLong()).addAndGet((Long) n[0])));
        BundleContext context = Fake.of(BundleContext.class, "createFilter", (Fake.Answer) a -> Fake.of(Filter.class));
        Activator activator = new Activator();
        activator.registry(new OSGIMetricRegistry(context) {
            @Override
            public MetricRegistry getMetricRegistry() {
                return registry;
            }
        });

        MetricsSink sink = KillbillMetricsSink.of(activator);
        sink.increment("meterstream.usage.recorded");
        sink.increment("meterstream.usage.recorded");

        assertThat(counts.get("meterstream.usage.recorded")).hasValue(2);
    }

    @Test
    @DisplayName("an activator without a registry gives no metrics and no error")
    void none() {
        assertThat(KillbillMetricsSink.of(new Activator())).isSameAs(MetricsSink.NONE);
    }

    @Test
    @DisplayName("a gauge is read from its supplier whenever the registry reads it, replaced when registered again, and removed")
    void gauges() {
        Map<String, Gauge<?>> gauges = new ConcurrentHashMap<>();
        MetricRegistry registry = Fake.of(MetricRegistry.class,
                "gauge", (Fake.Answer) a -> gauges.computeIfAbsent((String) a[0], k -> (Gauge<?>) a[1]),
                "remove", (Fake.Answer) a -> gauges.remove((String) a[0]) != null);
        MetricsSink sink = KillbillMetricsSink.on(registry);
        AtomicLong lag = new AtomicLong(7);

        sink.gauge("meterstream.usage.lag", lag::get);
        assertThat(gauges.get("meterstream.usage.lag").getValue()).isEqualTo(7L);
        lag.set(3);
        assertThat(gauges.get("meterstream.usage.lag").getValue()).isEqualTo(3L);

        sink.gauge("meterstream.usage.lag", () -> 42);
        assertThat(gauges.get("meterstream.usage.lag").getValue()).as("a restart in place replaces the gauge").isEqualTo(42);
        sink.remove("meterstream.usage.lag");
        assertThat(gauges).isEmpty();
    }
}
