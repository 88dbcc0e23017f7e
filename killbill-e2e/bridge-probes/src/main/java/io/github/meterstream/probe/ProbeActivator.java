package io.github.meterstream.probe;

import java.util.Hashtable;

import javax.servlet.Servlet;

import org.killbill.billing.osgi.api.OSGIPluginProperties;
import org.killbill.billing.osgi.libs.killbill.KillbillActivatorBase;
import org.osgi.framework.BundleContext;

/**
 * Bridge probe: an activator built against platform 0.41.18's KillbillActivatorBase. When it starts it
 * prints what the framework exports (system bundle wiring) and which base-class fields Kill Bill filled,
 * then serves /plugins/&lt;name&gt;/status and /plugins/&lt;name&gt;/usage (records usage in-process).
 */
public class ProbeActivator extends KillbillActivatorBase {

    @Override
    public void start(BundleContext context) throws Exception {
        super.start(context);
        String name = context.getBundle().getSymbolicName();
        System.out.println("PROBE " + name + " started; killbillAPI=" + (killbillAPI != null) + " dataSource="
                + (dataSource != null) + " clock=" + (clock != null) + " configProperties=" + (configProperties != null)
                + " dispatcher=" + (dispatcher != null) + " metricRegistry=" + (metricRegistry != null));
        if (name.endsWith("exports")) {
            SystemExports.print(context);
        }
        Hashtable<String, String> props = new Hashtable<>();
        props.put(OSGIPluginProperties.PLUGIN_NAME_PROP, pluginName(context));
        registrar.registerService(context, Servlet.class, new ProbeServlet(this, name), props);
    }

    private static String pluginName(BundleContext context) {
        // bundles/plugins/java/<name>/<version>/x.jar: Kill Bill serves the servlet under the directory name
        String location = context.getBundle().getLocation();
        String[] parts = location.replace('\\', '/').split("/");
        return parts.length >= 3 ? parts[parts.length - 3] : context.getBundle().getSymbolicName();
    }

    Object api() {
        return killbillAPI;
    }

    Object clockOrNull() {
        return clock;
    }
}
