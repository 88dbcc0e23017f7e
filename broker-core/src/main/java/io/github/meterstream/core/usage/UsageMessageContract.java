package io.github.meterstream.core.usage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageContract;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.usage.internal.UsageJson;
import io.github.meterstream.core.usage.internal.UsageKeys;

import java.io.IOException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The contract of usage messages ({@code docs/MESSAGE-FORMAT.md}).
 *
 * <ul>
 *   <li>{@link #decode}: JSON that cannot be read, or a field of the wrong JSON type, is {@link
 *       ReasonCodes#MALFORMED_PAYLOAD} with the line and column or the field path; more records than
 *       {@code usage.max-records-per-message} is {@link ReasonCodes#INVALID_MESSAGE}. The rules on
 *       values (a negative amount, an unreadable date ...) are Bean Validation annotations on the
 *       model, checked by the pipeline after decoding ({@code INVALID_MESSAGE}).</li>
 *   <li>Ordering key: tenant and subscription, as the message names them (a subscription external
 *       key whose id a {@link #withSubscriptionResolver subscription resolver} has cached: by the id).</li>
 *   <li>Idempotency key: (tenant, subscription, trackingId). A tenant named by API key is keyed
 *       {@code apiKey:<key>}, unless an {@link #withApiKeyResolver API key resolver} maps it to its
 *       tenant id; with one, a message is a duplicate of the same message sent with the tenant id.
 *       Likewise a subscription named by external key is keyed {@code key:<key>}, unless a {@link
 *       #withSubscriptionResolver subscription resolver} maps it to {@code id:<subscription id>}.</li>
 *   <li>Fingerprint: see {@link #fingerprint}.</li>
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class UsageMessageContract implements MessageContract<UsageMessage> {

    private static final ObjectMapper MAPPER = UsageJson.newObjectMapper();

    private final UsageContractConfig config;
    private final Function<String, String> apiKeyResolver;
    private final SubscriptionResolver subscriptionResolver;

    /** The contract with {@link UsageContractConfig#defaults() default limits}. */
    public UsageMessageContract() {
        this(UsageContractConfig.defaults());
    }

    public UsageMessageContract(UsageContractConfig config) {
        this(config, null, null);
    }

    private UsageMessageContract(UsageContractConfig config, Function<String, String> apiKeyResolver,
                                 SubscriptionResolver subscriptionResolver) {
        this.config = Objects.requireNonNull(config, "config");
        this.apiKeyResolver = apiKeyResolver;
        this.subscriptionResolver = subscriptionResolver;
    }

    /**
     * The same contract, deduplicating messages that name their tenant by API key under the
     * tenant id {@code resolver} returns (the Kill Bill plugin looks the key up). The resolver is
     * called on a worker thread, from {@link #idempotencyKey} and {@link #fingerprint}, possibly
     * several times per message, so it should cache. It returns the tenant id, or throws {@link
     * PermanentFailure} for an unknown key (the message is dead-lettered) or {@link
     * io.github.meterstream.core.failure.TransientFailure} when it cannot tell now.
     */
    public UsageMessageContract withApiKeyResolver(Function<String, String> resolver) {
        return new UsageMessageContract(config, Objects.requireNonNull(resolver, "resolver"), subscriptionResolver);
    }

    /**
     * The same contract, deduplicating messages that name their subscription by external key under
     * the subscription id {@code resolver} returns: the same usage sent once with {@code
     * subscriptionId} and once with the external key has one idempotency key and one fingerprint,
     * so only one of them reaches the handler. The ordering key uses the id as soon as the resolver
     * has it cached ({@link SubscriptionResolver#cachedSubscriptionId}); before that the message is
     * laned by its external key, since the ordering key is computed on the source's thread, which
     * must not wait for a lookup. The idempotency claim, not the lane, is what keeps two copies
     * from reaching the handler together.
     */
    public UsageMessageContract withSubscriptionResolver(SubscriptionResolver resolver) {
        return new UsageMessageContract(config, apiKeyResolver, Objects.requireNonNull(resolver, "resolver"));
    }

    public UsageContractConfig config() {
        return config;
    }

    @Override
    public UsageMessage decode(InboundMessage message) {
        return decode(message.payload());
    }

    /** {@link #decode(InboundMessage)} for a bare payload, for tools and tests. */
    public UsageMessage decode(byte[] payload) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(payload);
        } catch (JsonProcessingException e) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, UsageJson.describeSyntaxError(e), e);
        } catch (IOException e) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "payload could not be read: " + e.getMessage(), e);
        }
        if (tree == null || tree.isMissingNode()) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "payload is empty: expected a JSON object");
        }
        if (!tree.isObject()) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "payload: expected an object, got " + UsageJson.kind(tree));
        }
        String tenant = label(TenantRef.of(text(tree, "tenantId"), text(tree, "apiKey")));
        String trackingId = text(tree, "trackingId");
        UsageMessage decoded;
        try {
            decoded = MAPPER.treeToValue(tree, UsageMessage.class);
        } catch (JsonMappingException e) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, UsageJson.describeShapeError(e, tree), tenant,
                    trackingId, e);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new PermanentFailure(ReasonCodes.MALFORMED_PAYLOAD, "payload is not a usage message: " + e.getMessage(),
                    tenant, trackingId, e);
        }
        int records = decoded.recordCount();
        if (records > config.maxRecordsPerMessage()) {
            throw new PermanentFailure(ReasonCodes.INVALID_MESSAGE, "unitUsageRecords: " + records + " usage records, the "
                    + "limit is " + config.maxRecordsPerMessage() + " (" + UsageContractConfig.MAX_RECORDS_PER_MESSAGE.name()
                    + "); split the usage into several messages, each with its own trackingId", tenant, trackingId, null);
        }
        return decoded;
    }

    @Override
    public String orderingKey(UsageMessage message) {
        // The source thread calls this: only what the resolver has cached, never a lookup.
        String scope = UsageKeys.subscriptionScope(message);
        if (subscriptionResolver != null && message.subscriptionId() == null && message.subscriptionExternalKey() != null) {
            String id = subscriptionResolver.cachedSubscriptionId(tenantNamespaceIfKnown(message), message.subscriptionExternalKey());
            if (id != null) {
                scope = UsageKeys.subscriptionIdScope(id);
            }
        }
        return tenant(message) + '/' + scope;
    }

    @Override
    public Optional<IdempotencyKey> idempotencyKey(UsageMessage message) {
        String tenant = tenantNamespace(message);
        return Optional.of(IdempotencyKey.of(tenant, subscriptionScope(tenant, message), message.trackingId()));
    }

    /**
     * SHA-256 (hex) of the tenant, the subscription and the sorted (unit type, instant, amount)
     * triples. Field order, the alias used, {@code 1.0} versus {@code 1}, a date versus its
     * midnight UTC, and the order or grouping of records do not change it; the tracking id is not
     * part of it (it is part of the key).
     */
    @Override
    public String fingerprint(UsageMessage message) {
        String tenant = tenantNamespace(message);
        return UsageKeys.fingerprint(tenant, subscriptionScope(tenant, message), message);
    }

    /** The {@link TenantRef#label() label} of the message's tenant: its id, or {@code apiKey:<key>}; the resolver is not called. */
    @Override
    public String tenant(UsageMessage message) {
        return label(message.tenant());
    }

    @Override
    public String trackingId(UsageMessage message) {
        return message.trackingId();
    }

    /** The subscription as the message names it: its id, else its external key. */
    @Override
    public String subject(UsageMessage message) {
        return message.subscriptionId() != null ? message.subscriptionId() : message.subscriptionExternalKey();
    }

    private String tenantNamespace(UsageMessage message) {
        TenantRef tenant = message.tenant();
        if (tenant == null || !tenant.byApiKey() || apiKeyResolver == null) {
            return tenantNamespaceIfKnown(message);
        }
        String tenantId = apiKeyResolver.apply(tenant.apiKey());
        if (tenantId == null || tenantId.isEmpty()) {
            throw new IllegalStateException("the API key resolver returned no tenant id for the message's apiKey");
        }
        return tenantId.toLowerCase(Locale.ROOT);
    }

    /** {@code id:<subscription id>}, resolving an external key when there is a resolver; else as the message names it. */
    private String subscriptionScope(String tenantNamespace, UsageMessage message) {
        if (subscriptionResolver == null || message.subscriptionId() != null || message.subscriptionExternalKey() == null) {
            return UsageKeys.subscriptionScope(message);
        }
        String id = subscriptionResolver.subscriptionId(tenantNamespace, message.subscriptionExternalKey());
        if (id == null || id.isEmpty()) {
            throw new IllegalStateException("the subscription resolver returned no id for the message's external key");
        }
        return UsageKeys.subscriptionIdScope(id);
    }

    /** The tenant namespace without calling the API key resolver: the tenant id, else the label. */
    private static String tenantNamespaceIfKnown(UsageMessage message) {
        TenantRef tenant = message.tenant();
        if (tenant == null) {
            // not reached through the pipeline (validation requires a tenant); kept as the key always was
            return UsageKeys.fit(TenantRef.API_KEY_LABEL_PREFIX, null);
        }
        // the label, shortened to a hash when a long API key would not fit an idempotency key part
        return tenant.byApiKey() ? UsageKeys.fit(TenantRef.API_KEY_LABEL_PREFIX, tenant.apiKey()) : tenant.tenantId();
    }

    private static String label(TenantRef tenant) {
        return tenant == null ? null : tenant.label();
    }

    private static String text(JsonNode tree, String field) {
        JsonNode n = tree.get(field);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    @Override
    public String toString() {
        return "UsageMessageContract{" + config + (apiKeyResolver == null ? "" : ", apiKey resolver")
                + (subscriptionResolver == null ? "" : ", subscription resolver") + '}';
    }
}
