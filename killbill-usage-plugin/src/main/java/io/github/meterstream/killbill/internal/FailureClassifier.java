package io.github.meterstream.killbill.internal;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * Tells whether an exception from a Kill Bill call means "Kill Bill or its database is unavailable
 * now" (retry later, and let the pipeline's circuit pause consumption) by walking the cause chain:
 * {@link SQLException}, JDBI/DBI exceptions, connection-pool and timeout exceptions. Everything
 * else is the caller's to classify.
 */
final class FailureClassifier {

    private static final String[] TRANSIENT_CLASS_NAME_PARTS = {
            "org.skife.jdbi", "org.jdbi", "dbiexception", "unabletoobtainconnection", "unabletocreatestatement",
            "cannotgetjdbcconnection", "connectionexception", "hikari", "poolexhausted", "timeout",
    };

    private FailureClassifier() {
    }

    /** The exception and its root cause, for messages an operator reads. */
    static String describe(Throwable failure) {
        Throwable root = failure;
        int depth = 0;
        while (root.getCause() != null && root.getCause() != root && depth++ < 32) {
            root = root.getCause();
        }
        return root == failure ? failure.toString() : failure + " (cause: " + root + ')';
    }

    static boolean isTransient(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t instanceof SQLException || t instanceof SQLTransientException || t instanceof TimeoutException
                    || t instanceof SocketTimeoutException || t instanceof ConnectException) {
                return true;
            }
            String name = t.getClass().getName().toLowerCase(Locale.ROOT);
            for (String part : TRANSIENT_CLASS_NAME_PARTS) {
                if (name.contains(part)) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
