package io.github.meterstream.probe;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Needs nothing but the OSGi core: prints the system bundle's exports even where the other probes cannot resolve. */
public class ExportsActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        SystemExports.print(context);
    }

    @Override
    public void stop(BundleContext context) {
        // nothing started
    }
}
