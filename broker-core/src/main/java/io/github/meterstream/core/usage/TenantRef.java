package io.github.meterstream.core.usage;

import java.util.Locale;
import java.util.Objects;

/**
 * The tenant a usage message names: by tenant id, or by API key. Consumers branch on {@link
 * #byApiKey()} instead of reading a string back; {@link #label()} is the one place the string form
 * used in logs, events and dead-letter envelopes is made. Immutable; equal when they name the tenant
 * the same way.
 */
public final class TenantRef {

    /**
     * Prefix of the {@link #label() label} of a tenant named by API key. Part of stored and published
     * data (dead-letter envelopes, and the idempotency namespace of a key no resolver maps): do not change.
     */
    public static final String API_KEY_LABEL_PREFIX = "apiKey:";

    private final String tenantId;
    private final String apiKey;

    private TenantRef(String tenantId, String apiKey) {
        this.tenantId = tenantId;
        this.apiKey = apiKey;
    }

    /** The tenant with id {@code tenantId}, kept lower case (Kill Bill's ids are). */
    public static TenantRef ofId(String tenantId) {
        return new TenantRef(Objects.requireNonNull(tenantId, "tenantId").toLowerCase(Locale.ROOT), null);
    }

    /** The tenant whose Kill Bill API key is {@code apiKey}, exactly as sent. */
    public static TenantRef ofApiKey(String apiKey) {
        return new TenantRef(null, Objects.requireNonNull(apiKey, "apiKey"));
    }

    /** The tenant as a message names it: by id when it has one, else by API key; {@code null} when it names neither. */
    public static TenantRef of(String tenantId, String apiKey) {
        if (tenantId != null) {
            return ofId(tenantId);
        }
        return apiKey == null ? null : ofApiKey(apiKey);
    }

    /** True when the tenant is named by API key, false when by id. */
    public boolean byApiKey() {
        return apiKey != null;
    }

    /** The tenant id, lower case, or {@code null} when named by API key. */
    public String tenantId() {
        return tenantId;
    }

    /** The API key, or {@code null} when named by id. */
    public String apiKey() {
        return apiKey;
    }

    /**
     * The tenant id, or {@code apiKey:<key>}: how logs, pipeline events and dead-letter envelopes show
     * the tenant. Not to be parsed: compare it with another reference's label, or keep the reference.
     */
    public String label() {
        return byApiKey() ? API_KEY_LABEL_PREFIX + apiKey : tenantId;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TenantRef)) {
            return false;
        }
        TenantRef other = (TenantRef) o;
        return Objects.equals(tenantId, other.tenantId) && Objects.equals(apiKey, other.apiKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenantId, apiKey);
    }

    /** The id, or the API key masked: an API key is a credential and has no place in a stray log line. */
    @Override
    public String toString() {
        return byApiKey() ? API_KEY_LABEL_PREFIX + "***" : tenantId;
    }
}
