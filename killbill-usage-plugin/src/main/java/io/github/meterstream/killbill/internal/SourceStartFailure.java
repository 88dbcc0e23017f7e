package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.config.ConfigException;

/**
 * Says why a source could not start, in words an operator can act on. One cause gets a fix of its
 * own: Kill Bill 0.22's OSGi system bundle does not export the JDK packages a broker client needs
 * (kafka-clients: {@code javax.security.sasl}), which shows as a {@code NoClassDefFoundError} or a
 * {@code SaslException} on start; the text then names the Kill Bill property and the value to add.
 */
final class SourceStartFailure {

    /** Kill Bill's property listing extra packages its OSGi system bundle exports. */
    static final String EXTRA_EXPORTS_PROPERTY = "org.killbill.osgi.system.bundle.export.packages.extra";
    /** The JDK packages the broker clients need beyond Kill Bill 0.22's list (the plugin README's value). */
    static final String EXTRA_EXPORTS = "javax.security.auth,javax.security.auth.callback,javax.security.auth.kerberos,"
            + "javax.security.auth.login,javax.security.auth.spi,javax.security.auth.x500,javax.security.sasl,org.ietf.jgss,"
            + "javax.naming.directory,javax.naming.spi,javax.script,javax.xml.datatype";

    private SourceStartFailure() {
    }

    /**
     * {@code error} as a status line: a configuration error as its message (it starts with the full key),
     * anything else with its type, plus the fix when it is a JDK package the container does not export.
     */
    static String describe(Throwable error) {
        if (error instanceof ConfigException) {
            return error.getMessage();
        }
        String text = error.toString();
        return missingJdkPackage(error) ? text + "; the container does not export a JDK package the broker client needs "
                + "(Kill Bill 0.22): add " + EXTRA_EXPORTS_PROPERTY + '=' + EXTRA_EXPORTS + " to killbill.properties and restart"
                : text;
    }

    // by name: javax.security.sasl itself may be the package this bundle cannot see
    private static boolean missingJdkPackage(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String name = t.getClass().getName();
            String message = String.valueOf(t.getMessage());
            if (name.equals("javax.security.sasl.SaslException")) {
                return true;
            }
            if (t instanceof LinkageError && (message.startsWith("javax/") || message.startsWith("javax.")
                    || message.startsWith("org/ietf/") || message.startsWith("org.ietf."))) {
                return true;
            }
        }
        return false;
    }
}
