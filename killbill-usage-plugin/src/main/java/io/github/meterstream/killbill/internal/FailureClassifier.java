package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.TransientFailure;
import org.killbill.billing.BillingExceptionBase;
import org.killbill.billing.ErrorCode;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * The one place where what Kill Bill throws is read: whether it means "Kill Bill or its database is
 * unavailable now" (a {@link TransientFailure}: retried, and the pipeline's circuit pauses
 * consumption while it lasts), "the thing named does not exist", or "this tracking id is already
 * stored". Callers decide what that means for their lookup (an unknown tenant, subscription or
 * catalog); they do not inspect exceptions themselves.
 *
 * <p>Classified by type where the type is visible to the bundle: the JDK's SQL, socket and timeout
 * exceptions, and killbill-api's {@link BillingExceptionBase} codes. The rest of Kill Bill's
 * persistence stack is not: JDBI (2 in Kill Bill 0.22, 3 in 0.24), its connection pool and its
 * entity exceptions live inside the server, are not exported to plugin bundles by the OSGi system
 * bundle, and differ between lines, so those are matched by class name ({@link
 * #TRANSIENT_CLASS_NAME_PARTS}, {@link #isNotFound}).
 */
final class FailureClassifier {

    // Names, not types: these classes are server-internal and not visible to the bundle (see the class comment).
    private static final String[] TRANSIENT_CLASS_NAME_PARTS = {
            "org.skife.jdbi", "org.jdbi", "dbiexception", "unabletoobtainconnection", "unabletocreatestatement",
            "cannotgetjdbcconnection", "connectionexception", "hikari", "poolexhausted", "timeout",
    };
    private static final int MAX_CAUSE_DEPTH = 32;

    private FailureClassifier() {
    }

    /** The exception and its root cause, for messages an operator reads. */
    static String describe(Throwable failure) {
        Throwable root = failure;
        int depth = 0;
        while (root.getCause() != null && root.getCause() != root && depth++ < MAX_CAUSE_DEPTH) {
            root = root.getCause();
        }
        return root == failure ? failure.toString() : failure + " (cause: " + root + ')';
    }

    /** True when something in {@code failure}'s cause chain says Kill Bill or its database is unavailable now. */
    static boolean isTransient(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < MAX_CAUSE_DEPTH; t = t.getCause(), depth++) {
            if (t instanceof SQLException || t instanceof TimeoutException || t instanceof SocketTimeoutException
                    || t instanceof ConnectException) {
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

    /**
     * True when an unchecked exception from Kill Bill says the entity asked for does not exist:
     * its {@code IllegalStateException} ("No subscription found", from {@code recordRolledUpUsage}
     * and subscription reads) or its DAO's {@code ObjectDoesNotExist...} exception, matched by name
     * because that class is server-internal (not visible to the bundle).
     */
    static boolean isNotFound(Throwable e) {
        return e.getClass().getName().contains("ObjectDoesNotExist") || e instanceof IllegalStateException && !isTransient(e);
    }

    /** True when Kill Bill refused a usage record because its tracking id is already stored ({@code 50000}). */
    static boolean isDuplicateTrackingId(BillingExceptionBase e) {
        return e.getCode() == ErrorCode.USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS.getCode();
    }

    /** The transient failure of a Kill Bill call that could not {@code doWhat} now ("look up tenant", "read the catalog"...). */
    static TransientFailure unavailable(String doWhat, Throwable e, String tenant, String trackingId) {
        return new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill could not " + doWhat + ": " + describe(e),
                tenant, trackingId, e);
    }

    /**
     * An unchecked exception from Kill Bill while {@code what}, as the pipeline should see it: the
     * pipeline's own failures unchanged, Kill Bill being unavailable as a {@link TransientFailure},
     * anything else unchanged (left to the pipeline's bounded retries).
     */
    static RuntimeException classified(RuntimeException e, String what, String tenant, String trackingId) {
        if (e instanceof PermanentFailure || e instanceof TransientFailure) {
            return e;
        }
        if (isTransient(e)) {
            return new TransientFailure(TransientFailure.DOWNSTREAM_UNAVAILABLE, "Kill Bill unavailable while " + what + ": " + describe(e),
                    tenant, trackingId, e);
        }
        return e;
    }
}
