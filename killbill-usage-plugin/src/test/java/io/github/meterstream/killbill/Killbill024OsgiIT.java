package io.github.meterstream.killbill;

import org.junit.jupiter.api.DisplayName;

/** Kill Bill 0.24: platform 0.41.18 (exports), Felix 7.0.5, killbill-api 0.54.0. No 0.24 server is reachable here. */
@DisplayName("The built bundle in Kill Bill 0.24's OSGi framework (platform 0.41.18, Felix 7.0.5)")
class Killbill024OsgiIT extends KillbillOsgiCompatibilityKit {

    @Override
    String line() {
        return "0.24";
    }

    @Override
    String expectedLine() {
        return "killbill-api 0.54+ (Kill Bill 0.24)";
    }

    @Override
    String logServiceVersion() {
        return "1.5.0";
    }

    /** Kill Bill 0.24 registers a metric registry (0.22 has none); Kill Bill's own no-op one stands in. */
    @Override
    void registerLineServices(KillbillOsgiFramework kb) throws Exception {
        kb.register("org.killbill.commons.metrics.api.MetricRegistry",
                kb.type("org.killbill.commons.metrics.impl.NoOpMetricRegistry").getConstructor().newInstance());
    }
}
