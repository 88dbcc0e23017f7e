package io.github.meterstream.killbill.line;

import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApi;
import org.killbill.billing.entitlement.api.SubscriptionApiException;
import org.killbill.billing.entitlement.api.SubscriptionEvent;
import org.killbill.billing.usage.api.UsageRecord;
import org.killbill.billing.util.callcontext.TenantContext;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * Every Kill Bill call whose Java signature differs between the Kill Bill lines the plugin targets,
 * in one place. Kill Bill 0.24 (killbill-api 0.54) and 0.22 (killbill-api 0.53) differ, for what the
 * plugin uses, in exactly these (checked with {@code javap} on both jars):
 * <ul>
 *   <li>{@code UsageRecord(DateTime, BigDecimal)} (0.54) vs {@code UsageRecord(LocalDate, Long)} (0.53);</li>
 *   <li>{@code Entitlement.getEffectiveStartDate/EndDate} and {@code Subscription.getBillingStartDate/EndDate}
 *       return {@code DateTime} (0.54) vs {@code LocalDate} (0.53);</li>
 *   <li>{@code SubscriptionEvent.getEffectiveDate} returns {@code DateTime} (0.54) vs {@code LocalDate} (0.53);</li>
 *   <li>{@code SubscriptionApi.getSubscriptionForEntitlementId/ForExternalKey} take an extra
 *       {@code boolean includeDeletedEvents} in 0.54.</li>
 * </ul>
 * This interface names only types that both killbill-api versions have. Each line has its own
 * implementation, in its own module compiled against that line's killbill-api
 * ({@code killbill-line-0.22}, {@code killbill-line-0.24}); the plugin bundle embeds both and picks
 * one once, at start. Code elsewhere in the plugin never calls these members directly.
 *
 * <p>A dated value of a line that has only days ({@code LocalDate}) is read as midnight UTC; an end
 * date becomes the next midnight (exclusive). Implementations are stateless and thread-safe.
 */
public interface KillbillLine {

    /**
     * The reason code of the {@link io.github.meterstream.core.failure.PermanentFailure} thrown by
     * {@link #usageRecord} for an amount the line cannot store; equal to the plugin's
     * {@code MeterstreamReasonCodes.INVALID_AMOUNT}.
     */
    String INVALID_AMOUNT = "INVALID_AMOUNT";

    /** Which line this is, for logs and the status page, e.g. {@code killbill-api 0.54+ (Kill Bill 0.24): ...}. */
    String describe();

    Subscription subscriptionById(SubscriptionApi api, UUID id, TenantContext context) throws SubscriptionApiException;

    Subscription subscriptionByExternalKey(SubscriptionApi api, String externalKey, TenantContext context)
            throws SubscriptionApiException;

    /** When billing starts (billing start date, else entitlement start), or {@code null}. */
    Instant startOf(Subscription subscription);

    /** When the subscription ends (entitlement end, else billing end), exclusive, or {@code null} if open. */
    Instant endOf(Subscription subscription);

    /** When {@code event} takes effect ({@code SubscriptionEvent.getEffectiveDate}), or {@code null}. */
    Instant effectiveDateOf(SubscriptionEvent event);

    /**
     * One usage record for {@code recordDate} and {@code amount}.
     *
     * @throws io.github.meterstream.core.failure.PermanentFailure ({@link #INVALID_AMOUNT}) when this line
     *         cannot store the amount (Kill Bill 0.22 stores whole numbers only)
     */
    UsageRecord usageRecord(Instant recordDate, BigDecimal amount);
}
