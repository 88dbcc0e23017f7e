package io.github.meterstream.killbill;

/**
 * The reason codes the plugin puts in dead-letter envelopes, in addition to broker-core's
 * {@link io.github.meterstream.core.failure.ReasonCodes}. They never change meaning once published:
 * operators filter dead-letter queues by them.
 */
public final class MeterstreamReasonCodes {

    /** No Kill Bill tenant has the id or api key the message names. */
    public static final String UNKNOWN_TENANT = "UNKNOWN_TENANT";
    /** The source is bound to other tenants ({@code sources.<name>.tenants}). */
    public static final String TENANT_NOT_ALLOWED = "TENANT_NOT_ALLOWED";
    /** The tenant's per-tenant {@code sources} rule does not list this source. */
    public static final String SOURCE_NOT_ALLOWED = "SOURCE_NOT_ALLOWED";
    /** No subscription of that tenant has the id or external key the message names. */
    public static final String UNKNOWN_SUBSCRIPTION = "UNKNOWN_SUBSCRIPTION";
    /** The unit type is not used by any phase of the subscription's plan in the catalog versions that apply. */
    public static final String UNIT_NOT_IN_PLAN = "UNIT_NOT_IN_PLAN";
    /** A record is dated before the subscription's start. */
    public static final String RECORD_BEFORE_SUBSCRIPTION_START = "RECORD_BEFORE_SUBSCRIPTION_START";
    /** A record is dated after the subscription's end. */
    public static final String RECORD_AFTER_SUBSCRIPTION_END = "RECORD_AFTER_SUBSCRIPTION_END";
    /** A record is dated further in the future than the tenant's {@code forward-dated-tolerance}. */
    public static final String FORWARD_DATED = "FORWARD_DATED";
    /** A record is older than Kill Bill would still bill, and the tenant's {@code late-usage-policy} is reject. */
    public static final String LATE_USAGE = "LATE_USAGE";
    /** An amount does not fit Kill Bill's column ({@code decimal(18,9)}, or a whole number on Kill Bill 0.22). */
    public static final String INVALID_AMOUNT = "INVALID_AMOUNT";
    /** Kill Bill refused the usage with an error other than a duplicate tracking id. */
    public static final String KILLBILL_REJECTED = "KILLBILL_REJECTED";

    private MeterstreamReasonCodes() {
    }
}
