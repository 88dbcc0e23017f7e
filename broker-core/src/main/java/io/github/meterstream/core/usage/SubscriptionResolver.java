package io.github.meterstream.core.usage;

/**
 * Resolves a subscription external key to the subscription id, so that a message naming its
 * subscription by external key is deduplicated (and, once known, ordered) with the same message
 * naming it by id. See {@link UsageMessageContract#withSubscriptionResolver}.
 */
public interface SubscriptionResolver {

    /**
     * The id of the subscription {@code externalKey} of tenant {@code tenantId}. Called on a worker
     * thread, from {@link UsageMessageContract#idempotencyKey} and {@link UsageMessageContract#fingerprint},
     * possibly several times per message, so it should cache.
     *
     * @param tenantId the tenant id (lower case), or {@code apiKey:<key>} when the contract has no API key resolver
     * @throws io.github.meterstream.core.failure.PermanentFailure when no such subscription exists (the message is dead-lettered)
     * @throws io.github.meterstream.core.failure.TransientFailure when it cannot tell now (the message is retried)
     */
    String subscriptionId(String tenantId, String externalKey);

    /**
     * The id if it is already known (cached), else {@code null}. Called on the source's delivery
     * thread for the ordering key, so it must never block or call a remote system.
     */
    default String cachedSubscriptionId(String tenantId, String externalKey) {
        return null;
    }
}
