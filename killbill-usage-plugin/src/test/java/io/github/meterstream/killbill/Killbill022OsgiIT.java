package io.github.meterstream.killbill;

import org.junit.jupiter.api.DisplayName;

import java.util.Map;

/**
 * Kill Bill 0.22, the control: platform 0.40.8 (exports), Felix 4.4.1, killbill-api 0.53.17. The real
 * 0.22.26 server runs the same bundle in killbill-e2e.
 */
@DisplayName("The built bundle in Kill Bill 0.22's OSGi framework (platform 0.40.8, Felix 4.4.1), the control")
class Killbill022OsgiIT extends KillbillOsgiCompatibilityKit {

    @Override
    String line() {
        return "0.22";
    }

    /** Felix 4.4.1 knows Java up to 1.8: on a newer Java it needs the osgi.ee capability spelled out, as the e2e server gets it. */
    @Override
    Map<String, String> moreFrameworkConfig() {
        String spec = System.getProperty("java.specification.version");
        return Map.of("eecap-" + spec, "osgi.ee; osgi.ee=\"OSGi/Minimum\"; version:List<Version>=\"1.0,1.1,1.2\", "
                + "osgi.ee; osgi.ee=\"JavaSE\"; version:List<Version>=\"1.0,1.1,1.2,1.3,1.4,1.5,1.6,1.7,1.8,9,10,11,12,13,14,15,16," + spec + "\"");
    }

    @Override
    String expectedLine() {
        return "killbill-api 0.53 (Kill Bill 0.22)";
    }

    @Override
    String logServiceVersion() {
        return "1.3.0";
    }
}
