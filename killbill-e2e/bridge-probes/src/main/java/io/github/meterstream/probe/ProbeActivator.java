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

    /**
     * A thread created while the bundle starts (Kill Bill's lifecycle thread, no Shiro subject), like a
     * broker consumer thread. Shiro keeps its subject in an inheritable thread local, so a thread created
     * from a servlet request would inherit the caller's login and prove nothing.
     */
    private java.util.concurrent.ExecutorService pluginThread;

    @Override
    public void start(BundleContext context) throws Exception {
        super.start(context);
        pluginThread = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "probe-plugin-thread"));
        pluginThread.submit(() -> { }).get();
        String name = context.getBundle().getSymbolicName();
        System.out.println("PROBE " + name + " started; killbillAPI=" + (killbillAPI != null) + " dataSource="
                + (dataSource != null) + " clock=" + (clock != null) + " configProperties=" + (configProperties != null)
                + " dispatcher=" + (dispatcher != null) + " metricRegistry=" + baseField("metricRegistry")
                + " healthCheckRegistry=" + baseField("healthCheckRegistry")
                + " KillbillActivatorBase from " + KillbillActivatorBase.class.getClassLoader());
        if (name.endsWith("exports")) {
            SystemExports.print(context);
        }
        Hashtable<String, String> props = new Hashtable<>();
        props.put(OSGIPluginProperties.PLUGIN_NAME_PROP, pluginName(context));
        registrar.registerService(context, Servlet.class, new ProbeServlet(this, name), props);
    }

    /**
     * Reads a base-class field by reflection: 0.41.18 has metricRegistry and healthCheckRegistry, 0.40.8 has
     * neither, and a compiled access would throw NoSuchFieldError when the base class comes from 0.22.
     */
    private String baseField(String field) {
        try {
            java.lang.reflect.Field f = KillbillActivatorBase.class.getDeclaredField(field);
            f.setAccessible(true);
            return f.get(this) == null ? "null" : "set";
        } catch (NoSuchFieldException e) {
            return "absent";
        } catch (ReflectiveOperationException | LinkageError e) {
            return "unreadable(" + e + ")";
        }
    }

    private static String pluginName(BundleContext context) {
        // bundles/plugins/java/<name>/<version>/x.jar: Kill Bill serves the servlet under the directory name
        String location = context.getBundle().getLocation();
        String[] parts = location.replace('\\', '/').split("/");
        return parts.length >= 3 ? parts[parts.length - 3] : context.getBundle().getSymbolicName();
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        if (pluginThread != null) {
            pluginThread.shutdownNow();
        }
        super.stop(context);
    }

    java.util.concurrent.ExecutorService pluginThread() {
        return pluginThread;
    }

    Object api() {
        return killbillAPI;
    }

    Object clockOrNull() {
        return clock;
    }
}
