package io.github.meterstream.killbill;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Kill Bill's OSGi framework for one Kill Bill line, without the rest of Kill Bill: the Felix
 * version that line ships, whose system bundle exports exactly what that line's
 * {@code DefaultOSGIService.createAndInitFramework} makes it export
 * ({@code org.osgi.framework.system.packages.extra} = the {@code OSGIConfig} defaults of
 * {@code org.killbill.osgi.system.bundle.export.packages.api}, {@code .java} and {@code .extra}, read
 * from that line's killbill-platform-osgi jar), with the same parent class loader setting.
 *
 * <p>The framework, and every class its system bundle exports, live in their own class loader (as
 * in Kill Bill's war): this test's class path never mixes in. So everything here goes through
 * reflection on the framework's own {@code org.osgi.framework} types.
 */
final class KillbillOsgiFramework implements AutoCloseable {

    static final int ACTIVE = 0x20;
    static final int RESOLVED = 0x4;

    final String line;
    final String systemPackagesExtra;
    private final URLClassLoader loader;
    private final Object framework;
    private final Object systemContext;

    private KillbillOsgiFramework(String line, String systemPackagesExtra, URLClassLoader loader, Object framework) throws Exception {
        this.line = line;
        this.systemPackagesExtra = systemPackagesExtra;
        this.loader = loader;
        this.framework = framework;
        this.systemContext = call(framework, "org.osgi.framework.Bundle", "getBundleContext");
    }

    /**
     * Starts the framework of {@code line} from {@code <dir>/<line>/framework/*.jar} (Felix and the jars
     * Kill Bill exports packages from), with the exports declared in {@code <dir>/<line>/platform/*.jar}.
     */
    static KillbillOsgiFramework start(Path dir, String line, Path storage, Map<String, String> moreConfig) throws Exception {
        String exports = killbillSystemBundleExports(jars(dir.resolve(line).resolve("platform")));
        URLClassLoader loader = new URLClassLoader("killbill-" + line, jars(dir.resolve(line).resolve("framework")),
                ClassLoader.getPlatformClassLoader());
        Map<String, Object> config = new HashMap<>();
        // as DefaultOSGIService.createAndInitFramework (0.40.8 and 0.41.18 alike)
        config.put("org.osgi.framework.system.packages.extra", exports);
        config.put("felix.cache.rootdir", storage.toString());
        config.put("org.osgi.framework.storage", storage.resolve("osgi-cache").toString());
        config.put("org.osgi.framework.bundle.parent", "ext");
        // Kill Bill empties the cache directory before each start; this does the same
        config.put("org.osgi.framework.storage.clean", "onFirstInit");
        config.putAll(moreConfig);
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            Object felix = loader.loadClass("org.apache.felix.framework.Felix").getConstructor(Map.class).newInstance(config);
            invoke(loader, felix, "org.osgi.framework.launch.Framework", "init", new Class<?>[0]);
            invoke(loader, felix, "org.osgi.framework.launch.Framework", "start", new Class<?>[0]);
            return new KillbillOsgiFramework(line, exports, loader, felix);
        } finally {
            t.setContextClassLoader(before);
        }
    }

    /**
     * What {@code createAndInitFramework} puts in {@code org.osgi.framework.system.packages.extra}: the
     * {@code @Default} values of {@code OSGIConfig}'s three export properties, joined as Kill Bill joins them.
     */
    static String killbillSystemBundleExports(URL[] platformJars) throws Exception {
        try (URLClassLoader l = new URLClassLoader(platformJars, ClassLoader.getPlatformClassLoader())) {
            Class<?> osgiConfig = l.loadClass("org.killbill.billing.osgi.config.OSGIConfig");
            String api = defaultOf(l, osgiConfig, "org.killbill.osgi.system.bundle.export.packages.api");
            String java = defaultOf(l, osgiConfig, "org.killbill.osgi.system.bundle.export.packages.java");
            String extra = defaultOf(l, osgiConfig, "org.killbill.osgi.system.bundle.export.packages.extra");
            StringBuilder exports = new StringBuilder(api);
            if (!java.isEmpty()) {
                exports.append(',').append(java);
            }
            if (!extra.isEmpty()) {
                exports.append(',').append(extra);
            }
            return exports.toString();
        }
    }

    @SuppressWarnings("unchecked")
    private static String defaultOf(ClassLoader l, Class<?> osgiConfig, String property) throws Exception {
        Class<? extends Annotation> config = (Class<? extends Annotation>) l.loadClass("org.skife.config.Config");
        Class<? extends Annotation> def = (Class<? extends Annotation>) l.loadClass("org.skife.config.Default");
        for (Method m : osgiConfig.getMethods()) {
            Annotation c = m.getAnnotation(config);
            if (c != null && Arrays.asList((String[]) config.getMethod("value").invoke(c)).contains(property)) {
                Annotation d = m.getAnnotation(def);
                if (d == null) {
                    throw new IllegalStateException(property + " has no @Default in " + osgiConfig.getProtectionDomain().getCodeSource());
                }
                return (String) def.getMethod("value").invoke(d);
            }
        }
        throw new IllegalStateException(property + " is not declared in " + osgiConfig.getProtectionDomain().getCodeSource());
    }

    private static URL[] jars(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<URL> urls = new ArrayList<>();
            for (Path p : files.filter(f -> f.toString().endsWith(".jar")).sorted().collect(Collectors.toList())) {
                urls.add(p.toUri().toURL());
            }
            if (urls.isEmpty()) {
                throw new IllegalStateException("no jar in " + dir + ": run 'mvn verify' (pre-integration-test copies them)");
            }
            return urls.toArray(new URL[0]);
        }
    }

    /** The system bundle's export of {@code pkg}, e.g. {@code org.osgi.service.log;version=1.5.0}, as the framework wired it. */
    String systemExport(String pkg) throws Exception {
        Class<?> wiringType = type("org.osgi.framework.wiring.BundleWiring");
        Object wiring = call(framework, "org.osgi.framework.Bundle", "adapt", new Class<?>[] {Class.class}, wiringType);
        List<?> capabilities = (List<?>) call(wiring, "org.osgi.framework.wiring.BundleWiring", "getCapabilities",
                new Class<?>[] {String.class}, "osgi.wiring.package");
        for (Object c : capabilities) {
            Map<?, ?> attributes = (Map<?, ?>) call(c, "org.osgi.resource.Capability", "getAttributes");
            if (pkg.equals(attributes.get("osgi.wiring.package"))) {
                return pkg + ";version=" + attributes.get("version");
            }
        }
        return null;
    }

    Class<?> type(String name) throws ClassNotFoundException {
        return loader.loadClass(name);
    }

    /** Registers {@code service} under the interface {@code type}, as Kill Bill's own system bundle activator does. */
    void register(String type, Object service) throws Exception {
        Dictionary<String, Object> props = new Hashtable<>();
        call(systemContext, "org.osgi.framework.BundleContext", "registerService",
                new Class<?>[] {String.class, Object.class, Dictionary.class}, type, service, props);
    }

    /** An implementation of the framework's {@code type} that answers {@code answers} by method name and refuses the rest. */
    Object stub(String type, Map<String, Object> answers) throws ClassNotFoundException {
        Class<?> iface = type(type);
        InvocationHandler h = (proxy, method, args) -> {
            switch (method.getName()) {
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                case "toString":
                    return "stub " + type;
                default:
                    if (answers.containsKey(method.getName())) {
                        return answers.get(method.getName());
                    }
                    throw new UnsupportedOperationException(type + "." + method.getName() + " is not stubbed in this test");
            }
        };
        return Proxy.newProxyInstance(loader, new Class<?>[] {iface}, h);
    }

    Object install(Path bundle) throws Exception {
        return call(systemContext, "org.osgi.framework.BundleContext", "installBundle",
                new Class<?>[] {String.class}, bundle.toUri().toString());
    }

    /** Starts {@code bundle}; an unresolved import or a failing activator comes back as Felix's BundleException. */
    void start(Object bundle) throws Exception {
        call(bundle, "org.osgi.framework.Bundle", "start");
    }

    void stop(Object bundle) throws Exception {
        call(bundle, "org.osgi.framework.Bundle", "stop");
    }

    int state(Object bundle) throws Exception {
        return (Integer) call(bundle, "org.osgi.framework.Bundle", "getState");
    }

    /** The services registered under {@code type} that match the LDAP {@code filter}. */
    List<Object> services(String type, String filter) throws Exception {
        Object[] refs = (Object[]) call(systemContext, "org.osgi.framework.BundleContext", "getServiceReferences",
                new Class<?>[] {String.class, String.class}, type, filter);
        List<Object> out = new ArrayList<>();
        if (refs != null) {
            for (Object ref : refs) {
                out.add(call(systemContext, "org.osgi.framework.BundleContext", "getService",
                        new Class<?>[] {type("org.osgi.framework.ServiceReference")}, ref));
            }
        }
        return out;
    }

    /** Calls {@code method} as declared by the framework's {@code declaringType}, unwrapping what it throws. */
    Object call(Object target, String declaringType, String method) throws Exception {
        return call(target, declaringType, method, new Class<?>[0]);
    }

    Object call(Object target, String declaringType, String method, Class<?>[] parameters, Object... args) throws Exception {
        return invoke(loader, target, declaringType, method, parameters, args);
    }

    private static Object invoke(ClassLoader loader, Object target, String declaringType, String method, Class<?>[] parameters,
                                 Object... args) throws Exception {
        Method m = loader.loadClass(declaringType).getMethod(method, parameters);
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw (Error) cause;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            call(framework, "org.osgi.framework.launch.Framework", "stop");
            call(framework, "org.osgi.framework.launch.Framework", "waitForStop", new Class<?>[] {long.class}, 30_000L);
        } finally {
            loader.close();
        }
    }
}
