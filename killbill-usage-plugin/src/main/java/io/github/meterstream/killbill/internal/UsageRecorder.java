package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.MessageContext;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.usage.TenantRef;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageRecordEntry;
import io.github.meterstream.killbill.MeterstreamReasonCodes;
import io.github.meterstream.killbill.line.KillbillLine;
import org.killbill.billing.osgi.api.OSGIKillbill;
import org.killbill.billing.security.api.SecurityApi;
import org.killbill.billing.usage.api.SubscriptionUsageRecord;
import org.killbill.billing.usage.api.UnitUsageRecord;
import org.killbill.billing.usage.api.UsageApiException;
import org.killbill.billing.usage.api.UsageRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Records one checked usage message with {@code UsageUserApi.recordRolledUpUsage} and turns Kill
 * Bill's answer into the pipeline's outcome:
 * <ul>
 *   <li>success: {@link MessageHandler.Outcome#PROCESSED};</li>
 *   <li>{@code UsageApiException} with {@code USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS} (50000): when an
 *       earlier attempt of this message may have written it ({@link MessageContext#earlierAttemptMayHaveWritten()}:
 *       its claim was taken over), the usage is already in Kill Bill, {@link MessageHandler.Outcome#ALREADY_PROCESSED};
 *       after a fresh claim it is someone else's usage under this tracking id: permanent {@code IDEMPOTENCY_CONFLICT};</li>
 *   <li>database, connection or timeout errors anywhere in the cause chain: {@link TransientFailure}
 *       (the pipeline retries, and pauses consumption while they keep coming);</li>
 *   <li>unknown subscription ({@code IllegalStateException}/{@code ObjectDoesNotExist}): permanent
 *       {@code UNKNOWN_SUBSCRIPTION}; any other {@code UsageApiException}: permanent {@code KILLBILL_REJECTED}.</li>
 * </ul>
 */
public final class UsageRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(UsageRecorder.class);

    private final OSGIKillbill killbill;
    private final KillbillLine line;
    private final UsageRules rules;
    private final Clock clock;
    private final String username;
    private final String password;

    /** {@code username}/{@code password} null: do not log in (Kill Bill runs with skipAuthForPlugins=true). */
    public UsageRecorder(OSGIKillbill killbill, KillbillLine line, UsageRules rules, Clock clock, String username, String password) {
        this.killbill = killbill;
        this.line = line;
        this.rules = rules;
        this.clock = clock;
        this.username = username;
        this.password = password;
    }

    /**
     * Checks and records {@code m}, received on {@code source} bound to {@code allowedTenants};
     * {@code delivery} tells whether an earlier attempt at its idempotency key may have written it.
     * The steps: a tracking id is required, the {@link UsageRules} pass (tenant, subscription, window,
     * unit in plan, late usage), the records are built for this Kill Bill line, and Kill Bill records them.
     */
    public RecordResult record(UsageMessage m, String source, List<String> allowedTenants, MessageContext delivery) {
        requireTrackingId(m);
        UsageRules.Verdict verdict = rules.check(m, source, allowedTenants);
        SubscriptionUsageRecord record = killbillRecord(m, verdict);
        MessageHandler.Outcome outcome = write(record, m, verdict, source, delivery);
        return new RecordResult(verdict.tenantId, outcome, verdict.late);
    }

    private static void requireTrackingId(UsageMessage m) {
        String trackingId = m.trackingId();
        if (trackingId == null || trackingId.isBlank()) {
            // Kill Bill would invent one, and every redelivery would then be counted again
            TenantRef tenant = m.tenant();
            throw new PermanentFailure(ReasonCodes.INVALID_MESSAGE, "the message has no trackingId; without one Kill Bill cannot "
                    + "recognise a redelivery", tenant == null ? null : tenant.label(), null, null);
        }
    }

    /** The message as this Kill Bill line's usage record; a line that cannot hold an amount refuses it ({@code INVALID_AMOUNT}). */
    private SubscriptionUsageRecord killbillRecord(UsageMessage m, UsageRules.Verdict verdict) {
        List<UnitUsageRecord> units = new ArrayList<>();
        for (io.github.meterstream.core.usage.UnitUsageRecord u : m.unitUsageRecords()) {
            List<UsageRecord> records = new ArrayList<>();
            for (UsageRecordEntry e : u.usageRecords()) {
                try {
                    records.add(line.usageRecord(e.recordDate(), e.amount()));
                } catch (PermanentFailure f) {
                    throw new PermanentFailure(f.reasonCode(), f.getMessage(), verdict.tenantId.toString(), m.trackingId(), null);
                }
            }
            units.add(new UnitUsageRecord(u.unitType(), records));
        }
        return new SubscriptionUsageRecord(verdict.subscription.id, m.trackingId(), units);
    }

    /** Calls {@code recordRolledUpUsage} and turns Kill Bill's answer into the outcome (see the class comment). */
    private MessageHandler.Outcome write(SubscriptionUsageRecord record, UsageMessage m, UsageRules.Verdict verdict, String source,
                                         MessageContext delivery) {
        UUID tenantId = verdict.tenantId;
        String tenant = tenantId.toString();
        String trackingId = m.trackingId();
        MeterstreamCallContext context = new MeterstreamCallContext(tenantId, clock.instant(), "meterstream source " + source);
        SecurityApi security = null;
        try {
            if (username != null) {
                security = killbill.getSecurityApi();
                security.login(username, password);
            }
            killbill.getUsageUserApi().recordRolledUpUsage(record, context);
            LOG.debug("Recorded usage: source={} tenant={} subscription={} trackingId={}", source, tenant, verdict.subscription.id, trackingId);
            return MessageHandler.Outcome.PROCESSED;
        } catch (UsageApiException e) {
            if (FailureClassifier.isDuplicateTrackingId(e)) {
                if (delivery.earlierAttemptMayHaveWritten()) {
                    // an earlier attempt of this message (its claim was taken over) may have recorded it
                    LOG.info("Kill Bill already has trackingId {} for subscription {} (tenant {}), written by an earlier attempt: duplicate",
                            trackingId, verdict.subscription.id, tenant);
                    return MessageHandler.Outcome.ALREADY_PROCESSED;
                }
                // The claim was fresh: no attempt of ours wrote under this key in the dedupe window, so
                // whatever Kill Bill holds came from elsewhere and may be other usage. Acking would
                // drop this usage silently; dead-lettering keeps it for a person to decide.
                throw new PermanentFailure(ReasonCodes.IDEMPOTENCY_CONFLICT, "Kill Bill already holds usage with trackingId '"
                        + trackingId + "' for subscription " + verdict.subscription.id + " that Meterstream did not record within its "
                        + "dedupe window (idempotency.retention): either a producer reused the trackingId for other usage (publish "
                        + "this usage with a new trackingId) or it was recorded by another path or before the window (compare "
                        + "with Kill Bill's usage of the subscription; if it is the same usage, discard this dead letter)",
                        tenant, trackingId, e);
            }
            if (FailureClassifier.isTransient(e)) {
                throw FailureClassifier.unavailable("record usage", e, tenant, trackingId);
            }
            throw new PermanentFailure(MeterstreamReasonCodes.KILLBILL_REJECTED, "Kill Bill refused the usage (code " + e.getCode()
                    + "): " + e.getMessage(), tenant, trackingId, e);
        } catch (RuntimeException e) {
            if (e instanceof PermanentFailure || e instanceof TransientFailure) {
                throw e;
            }
            if (FailureClassifier.isTransient(e)) {
                throw FailureClassifier.unavailable("record usage", e, tenant, trackingId);
            }
            if (FailureClassifier.isNotFound(e)) {
                boolean byId = m.subscriptionId() != null;
                throw SubscriptionLookup.unknownSubscription(tenantId, byId, byId ? m.subscriptionId() : m.subscriptionExternalKey(),
                        trackingId, e);
            }
            throw e;
        } finally {
            if (security != null) {
                try {
                    security.logout();
                } catch (RuntimeException e) {
                    LOG.debug("logout failed: {}", e.toString());
                }
            }
        }
    }

    /** Tenants whose usage is held because their rules cannot be used, with the reason. */
    public java.util.Map<UUID, String> heldTenants() {
        return rules.heldTenants();
    }

    /** The outcome of one message and the tenant it resolved to. */
    public static final class RecordResult {
        private final UUID tenantId;
        private final MessageHandler.Outcome outcome;
        private final boolean late;

        RecordResult(UUID tenantId, MessageHandler.Outcome outcome, boolean late) {
            this.tenantId = tenantId;
            this.outcome = outcome;
            this.late = late;
        }

        public UUID tenantId() {
            return tenantId;
        }

        public MessageHandler.Outcome outcome() {
            return outcome;
        }

        /** Late usage accepted by the tenant's policy. */
        public boolean late() {
            return late;
        }
    }
}
