package io.github.meterstream.core.usage;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.meterstream.core.usage.internal.OneSubscriptionOneTenant;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * One usage message: the usage of one subscription of one tenant, under one tracking id. The
 * format, with every rule and example, is in {@code docs/MESSAGE-FORMAT.md}; the JSON Schema is
 * the classpath resource {@value #SCHEMA_RESOURCE}.
 *
 * <p>Instances come from {@link UsageMessageContract#decode} and are checked by Bean Validation
 * afterwards, so a decoded instance may still break a rule; the accessors never throw. Immutable.
 */
@OneSubscriptionOneTenant
public final class UsageMessage {

    /** The only schema version this code knows. */
    public static final int SCHEMA_VERSION = 1;

    /** Where the JSON Schema of this message lives on the classpath. */
    public static final String SCHEMA_RESOURCE = "/io/github/meterstream/core/usage/usage-message.schema.json";

    static final String UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    @Min(value = 1, message = "must be 1: the only schema version there is")
    @Max(value = SCHEMA_VERSION, message = "is newer than this consumer understands: only schema version 1 is known; "
            + "upgrade Meterstream or publish version 1")
    private final Integer schemaVersion;

    @Pattern(regexp = UUID_PATTERN, message = "must be a Kill Bill subscription id, a UUID such as "
            + "8a4f8d1e-3c2b-4e5f-9a7b-1c2d3e4f5a6b")
    private final String subscriptionId;

    @Size(min = 1, max = 255, message = "must be 1 to 255 characters (Kill Bill's external key column)")
    private final String subscriptionExternalKey;

    @Size(min = 1, max = 255, message = "must be 1 to 255 characters (Kill Bill's external key column)")
    private final String externalSubKey;

    @Pattern(regexp = UUID_PATTERN, message = "must be a Kill Bill tenant id, a UUID such as "
            + "8a4f8d1e-3c2b-4e5f-9a7b-1c2d3e4f5a6b")
    private final String tenantId;

    @Size(min = 1, max = 128, message = "must be 1 to 128 characters (Kill Bill's API key column)")
    private final String apiKey;

    @NotNull(message = "is required: a producer-chosen id, unique per usage batch, that makes redelivery harmless")
    @Size(min = 1, max = 128, message = "must be 1 to 128 characters")
    private final String trackingId;

    @NotEmpty(message = "must hold at least one unit type with its usage records")
    private final List<@NotNull(message = "must be an object, not null") @Valid UnitUsageRecord> unitUsageRecords;

    @JsonCreator
    UsageMessage(@JsonProperty("schemaVersion") Integer schemaVersion,
                 @JsonProperty("subscriptionId") String subscriptionId,
                 @JsonProperty("subscriptionExternalKey") String subscriptionExternalKey,
                 @JsonProperty("externalSubKey") String externalSubKey,
                 @JsonProperty("tenantId") String tenantId,
                 @JsonProperty("apiKey") String apiKey,
                 @JsonProperty("trackingId") String trackingId,
                 @JsonProperty("unitUsageRecords") List<UnitUsageRecord> unitUsageRecords) {
        this.schemaVersion = schemaVersion;
        this.subscriptionId = subscriptionId;
        this.subscriptionExternalKey = subscriptionExternalKey;
        this.externalSubKey = externalSubKey;
        this.tenantId = tenantId;
        this.apiKey = apiKey;
        this.trackingId = trackingId;
        // Not List.copyOf: a null element must survive to be reported by validation, not throw here.
        this.unitUsageRecords = unitUsageRecords == null ? null
                : Collections.unmodifiableList(new ArrayList<>(unitUsageRecords));
    }

    /** The schema version the producer declared; {@value #SCHEMA_VERSION} when it declared none. */
    public int schemaVersion() {
        return schemaVersion == null ? SCHEMA_VERSION : schemaVersion;
    }

    /** The Kill Bill subscription id, lower case, or {@code null} when named by external key. */
    public String subscriptionId() {
        return subscriptionId == null ? null : subscriptionId.toLowerCase(Locale.ROOT);
    }

    /**
     * The subscription's external key, sent as {@code subscriptionExternalKey} or as its alias
     * {@code externalSubKey}, or {@code null} when named by id.
     */
    public String subscriptionExternalKey() {
        return subscriptionExternalKey != null ? subscriptionExternalKey : externalSubKey;
    }

    /** The Kill Bill tenant id, lower case, or {@code null} when named by API key. */
    public String tenantId() {
        return tenantId == null ? null : tenantId.toLowerCase(Locale.ROOT);
    }

    /** The tenant's Kill Bill API key, or {@code null} when named by id. */
    public String apiKey() {
        return apiKey;
    }

    /**
     * The tenant as the message names it: by {@code tenantId}, else by {@code apiKey}; {@code null}
     * when it names neither (a validation failure).
     */
    public TenantRef tenant() {
        return TenantRef.of(tenantId, apiKey);
    }

    public String trackingId() {
        return trackingId;
    }

    /** The usage, grouped by unit type, in message order; never {@code null} (empty when absent). */
    public List<UnitUsageRecord> unitUsageRecords() {
        return unitUsageRecords == null ? Collections.emptyList() : unitUsageRecords;
    }

    /** The number of usage records over all unit types: what {@code usage.max-records-per-message} limits. */
    public int recordCount() {
        int n = 0;
        for (UnitUsageRecord u : unitUsageRecords()) {
            n += u == null ? 0 : u.usageRecords().size();
        }
        return n;
    }

    /** {@code subscriptionExternalKey} exactly as sent (not its alias); for the ambiguity rule. */
    public String subscriptionExternalKeyAsSent() {
        return subscriptionExternalKey;
    }

    /** The alias {@code externalSubKey} exactly as sent; for the ambiguity rule. */
    public String externalSubKeyAsSent() {
        return externalSubKey;
    }

    @Override
    public String toString() {
        // No amounts: a whole message does not belong in a log line.
        return "UsageMessage{tenant=" + tenant()
                + ", subscription=" + (subscriptionId != null ? subscriptionId() : subscriptionExternalKey())
                + ", trackingId=" + trackingId + ", records=" + recordCount() + '}';
    }
}
