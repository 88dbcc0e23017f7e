package io.github.meterstream.probe;

import java.util.List;
import java.util.TreeMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;

/** Prints every package the system bundle (id 0) exports, with its version, one "PROBE-EXPORT" line each. */
final class SystemExports {
    private SystemExports() {
    }

    static void print(BundleContext context) {
        BundleWiring wiring = context.getBundle(0).adapt(BundleWiring.class);
        List<BundleCapability> caps = wiring.getCapabilities(BundleRevision.PACKAGE_NAMESPACE);
        TreeMap<String, String> sorted = new TreeMap<>();
        for (BundleCapability cap : caps) {
            Object pkg = cap.getAttributes().get(BundleRevision.PACKAGE_NAMESPACE);
            Object version = cap.getAttributes().get(Constants.VERSION_ATTRIBUTE);
            sorted.merge(String.valueOf(pkg), String.valueOf(version), (a, b) -> a + "|" + b);
        }
        for (java.util.Map.Entry<String, String> e : sorted.entrySet()) {
            System.out.println("PROBE-EXPORT " + e.getKey() + ";version=" + e.getValue());
        }
        System.out.println("PROBE-EXPORT-COUNT " + sorted.size() + " framework "
                + context.getBundle(0).getSymbolicName() + " " + context.getBundle(0).getVersion());
    }
}
