package io.github.meterstream.core.usage;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.github.meterstream.core.usage.UsageTestSupport.SUBSCRIPTION;
import static io.github.meterstream.core.usage.UsageTestSupport.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("The usage contract's keys")
class UsageMessageContractKeysTest {

    private static final String MESSAGE = """
            {"subscriptionExternalKey":"sub-1","trackingId":"trk-1","tenantId":"%s",
             "unitUsageRecords":[
               {"unitType":"api-calls","usageRecords":[{"recordDate":"2024-04-20T02:59:33.147","amount":1},
                                                       {"recordDate":"2024-04-20","amount":2.5}]},
               {"unitType":"storage-gb","usageRecords":[{"recordDate":"2024-04-21T00:00:00Z","amount":0.125}]}]}
            """.formatted(TENANT);

    private final UsageMessageContract contract = new UsageMessageContract();

    private UsageMessage decode(UsageMessageContract c, String json) {
        return c.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private String fingerprint(String json) {
        return contract.fingerprint(decode(contract, json));
    }

    @Nested
    @DisplayName("fingerprint")
    class Fingerprint {

        @Test
        @DisplayName("is a SHA-256 in hex, the same every time")
        void stable() {
            assertThat(fingerprint(MESSAGE)).matches("[0-9a-f]{64}").isEqualTo(fingerprint(MESSAGE));
        }

        @Test
        @DisplayName("does not change with field order, the alias used, 1.0 for 1, a date for its midnight, or record order")
        void independentOfForm() {
            String rewritten = """
                    {"unitUsageRecords":[
                       {"usageRecords":[{"amount":0.1250,"recordDate":"2024-04-21"}],"unitType":"storage-gb"},
                       {"unitType":"api-calls","usageRecords":[{"amount":2.50,"recordDate":"2024-04-20T02:00:00+02:00"}]},
                       {"unitType":"api-calls","usageRecords":[{"amount":1.000,"recordDate":"2024-04-20T02:59:33.147Z"}]}],
                     "tenantId":"%s","trackingId":"trk-1","externalSubKey":"sub-1","schemaVersion":1,"note":"x"}
                    """.formatted(TENANT.toUpperCase());

            assertThat(fingerprint(rewritten)).isEqualTo(fingerprint(MESSAGE));
        }

        @Test
        @DisplayName("does not include the tracking id, which is part of the key")
        void trackingIdIsNotContent() {
            assertThat(fingerprint(MESSAGE.replace("trk-1", "trk-2"))).isEqualTo(fingerprint(MESSAGE));
        }

        @Test
        @DisplayName("changes with an amount, a date, a unit type, the tenant or the subscription")
        void changesWithContent() {
            String original = fingerprint(MESSAGE);

            assertThat(fingerprint(MESSAGE.replace("0.125", "0.126"))).isNotEqualTo(original);
            assertThat(fingerprint(MESSAGE.replace("2024-04-21T00:00:00Z", "2024-04-21T00:00:01Z"))).isNotEqualTo(original);
            assertThat(fingerprint(MESSAGE.replace("storage-gb", "storage-tb"))).isNotEqualTo(original);
            assertThat(fingerprint(MESSAGE.replace(TENANT, SUBSCRIPTION))).isNotEqualTo(original);
            assertThat(fingerprint(MESSAGE.replace("sub-1", "sub-2"))).isNotEqualTo(original);
        }

        @Test
        @DisplayName("counts a record sent twice twice")
        void keepsRepeatedRecords() {
            String twice = MESSAGE.replace("\"amount\":0.125}", "\"amount\":0.125},"
                    + "{\"recordDate\":\"2024-04-21T00:00:00Z\",\"amount\":0.125}");

            assertThat(fingerprint(twice)).isNotEqualTo(fingerprint(MESSAGE));
        }
    }

    @Nested
    @DisplayName("idempotency key")
    class Key {

        @Test
        @DisplayName("is tenant, subscription and tracking id")
        void tenantSubscriptionTrackingId() {
            UsageMessage m = decode(contract, MESSAGE);

            assertThat(contract.idempotencyKey(m)).contains(IdempotencyKey.of(TENANT, "key:sub-1", "trk-1"));
            assertThat(contract.orderingKey(m)).isEqualTo(TENANT + "/key:sub-1");
            assertThat(contract.tenant(m)).isEqualTo(TENANT);
            assertThat(contract.trackingId(m)).isEqualTo("trk-1");
        }

        @Test
        @DisplayName("the subject kept with a rejected copy is the subscription as the message names it")
        void subject() {
            assertThat(contract.subject(decode(contract, MESSAGE))).isEqualTo("sub-1");
            assertThat(contract.subject(decode(contract, MESSAGE.replace("\"subscriptionExternalKey\":\"sub-1\"",
                    "\"subscriptionId\":\"" + SUBSCRIPTION + "\"")))).isEqualTo(SUBSCRIPTION);
        }

        @Test
        @DisplayName("names a subscription given by id as id:<uuid>, apart from any external key that looks like one")
        void subscriptionById() {
            UsageMessage byId = decode(contract, MESSAGE.replace("\"subscriptionExternalKey\":\"sub-1\"",
                    "\"subscriptionId\":\"" + SUBSCRIPTION + "\""));
            UsageMessage byKey = decode(contract, MESSAGE.replace("sub-1", SUBSCRIPTION));

            assertThat(contract.idempotencyKey(byId).orElseThrow().scope()).isEqualTo("id:" + SUBSCRIPTION);
            assertThat(contract.idempotencyKey(byKey).orElseThrow().scope()).isEqualTo("key:" + SUBSCRIPTION);
        }

        @Test
        @DisplayName("fits a 255-character external key into the key's 128 characters by hashing it")
        void longExternalKey() {
            String longKey = "k".repeat(255);
            IdempotencyKey key = contract.idempotencyKey(decode(contract, MESSAGE.replace("sub-1", longKey))).orElseThrow();
            IdempotencyKey other = contract.idempotencyKey(decode(contract, MESSAGE.replace("sub-1", longKey + "x")))
                    .orElseThrow();

            assertThat(key.scope()).startsWith("key:sha256:").hasSizeLessThanOrEqualTo(IdempotencyKey.MAX_PART_LENGTH);
            assertThat(key).isNotEqualTo(other);
        }

        @Test
        @DisplayName("names a tenant given by API key apiKey:<key> when there is no resolver")
        void apiKeyWithoutResolver() {
            UsageMessage m = decode(contract, MESSAGE.replace("\"tenantId\":\"" + TENANT + "\"", "\"apiKey\":\"bob\""));

            assertThat(contract.idempotencyKey(m).orElseThrow().namespace()).isEqualTo("apiKey:bob");
            assertThat(contract.tenant(m)).isEqualTo("apiKey:bob");
        }

        @Test
        @DisplayName("with an API key resolver, makes a message by API key a duplicate of the same one by tenant id")
        void apiKeyResolved() {
            UsageMessageContract resolving = contract.withApiKeyResolver(apiKey -> "bob".equals(apiKey) ? TENANT.toUpperCase() : null);
            UsageMessage byId = decode(resolving, MESSAGE);
            UsageMessage byApiKey = decode(resolving, MESSAGE.replace("\"tenantId\":\"" + TENANT + "\"", "\"apiKey\":\"bob\""));

            assertThat(resolving.idempotencyKey(byApiKey)).isEqualTo(resolving.idempotencyKey(byId));
            assertThat(resolving.fingerprint(byApiKey)).isEqualTo(resolving.fingerprint(byId));
            assertThat(resolving.tenant(byApiKey)).as("logs show what the message said").isEqualTo("apiKey:bob");
        }

        @Test
        @DisplayName("passes on the resolver's PermanentFailure for an unknown API key")
        void resolverFailure() {
            UsageMessageContract resolving = contract.withApiKeyResolver(apiKey -> {
                throw new PermanentFailure("UNKNOWN_TENANT", "no tenant has API key " + apiKey);
            });
            UsageMessage m = decode(resolving, MESSAGE.replace("\"tenantId\":\"" + TENANT + "\"", "\"apiKey\":\"eve\""));

            assertThatThrownBy(() -> resolving.idempotencyKey(m)).isInstanceOf(PermanentFailure.class)
                    .hasMessage("no tenant has API key eve");
        }
    }

    @Nested
    @DisplayName("with a subscription resolver")
    class SubscriptionResolved {

        private final String byExternalKey = MESSAGE;
        private final String byId = MESSAGE.replace("\"subscriptionExternalKey\":\"sub-1\"", "\"subscriptionId\":\"" + SUBSCRIPTION + "\"");
        private final java.util.Map<String, String> cache = new java.util.concurrent.ConcurrentHashMap<>();
        private final UsageMessageContract resolving = contract.withSubscriptionResolver(new SubscriptionResolver() {
            @Override
            public String subscriptionId(String tenantId, String externalKey) {
                if (!"sub-1".equals(externalKey) || !TENANT.equals(tenantId)) {
                    throw new PermanentFailure("UNKNOWN_SUBSCRIPTION", "no subscription " + externalKey);
                }
                cache.put(externalKey, SUBSCRIPTION.toUpperCase());
                return SUBSCRIPTION.toUpperCase();
            }

            @Override
            public String cachedSubscriptionId(String tenantId, String externalKey) {
                return cache.get(externalKey);
            }
        });

        @Test
        @DisplayName("makes a message naming the subscription by external key a duplicate of the same one by id")
        void oneKeyForBothNames() {
            UsageMessage a = decode(resolving, byId);
            UsageMessage b = decode(resolving, byExternalKey);

            assertThat(resolving.idempotencyKey(b)).isEqualTo(resolving.idempotencyKey(a));
            assertThat(resolving.idempotencyKey(b).orElseThrow().scope()).isEqualTo("id:" + SUBSCRIPTION);
            assertThat(resolving.fingerprint(b)).isEqualTo(resolving.fingerprint(a));
            // a store sees the second copy as the duplicate it is
            InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();
            store.claim(resolving.idempotencyKey(a).orElseThrow(), resolving.fingerprint(a), Duration.ofMinutes(1));
            assertThat(store.claim(resolving.idempotencyKey(b).orElseThrow(), resolving.fingerprint(b), Duration.ofMinutes(1))
                    .status()).isNotEqualTo(ClaimResult.Status.CLAIMED);
        }

        @Test
        @DisplayName("orders both names in one lane once the external key was resolved (the source thread never waits for it)")
        void oneLaneOnceResolved() {
            UsageMessage a = decode(resolving, byId);
            UsageMessage b = decode(resolving, byExternalKey);
            String beforeResolution = resolving.orderingKey(b);

            resolving.idempotencyKey(b);

            assertThat(beforeResolution).as("not resolved yet: laned by the name it has").endsWith("key:sub-1");
            assertThat(resolving.orderingKey(b)).isEqualTo(resolving.orderingKey(a));
        }

        @Test
        @DisplayName("passes on the resolver's failures: unknown (permanent) and cannot tell now (transient)")
        void resolverFailures() {
            UsageMessage unknown = decode(resolving, byExternalKey.replace("sub-1", "nope"));
            assertThatThrownBy(() -> resolving.idempotencyKey(unknown)).isInstanceOf(PermanentFailure.class);

            UsageMessageContract down = contract.withSubscriptionResolver((tenant, key) -> {
                throw new io.github.meterstream.core.failure.TransientFailure("database down", null);
            });
            UsageMessage m = decode(down, byExternalKey);
            assertThatThrownBy(() -> down.idempotencyKey(m)).isInstanceOf(io.github.meterstream.core.failure.TransientFailure.class);
        }
    }

    @Nested
    @DisplayName("in an idempotency store")
    class InStore {

        private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();

        private ClaimResult.Status deliver(String json) {
            UsageMessage m = decode(contract, json);
            ClaimResult claim = store.claim(contract.idempotencyKey(m).orElseThrow(), contract.fingerprint(m), Duration.ofMinutes(1));
            if (claim.status() == ClaimResult.Status.CLAIMED) {
                store.complete(contract.idempotencyKey(m).orElseThrow(), claim.claimToken());
            }
            return claim.status();
        }

        @Test
        @DisplayName("make the same tracking id with the same content a duplicate, and with other content a conflict")
        void duplicateAndConflict() {
            assertThat(deliver(MESSAGE)).isEqualTo(ClaimResult.Status.CLAIMED);
            assertThat(deliver(MESSAGE.replace("\"amount\":1}", "\"amount\":1.0}"))).isEqualTo(ClaimResult.Status.DUPLICATE);
            assertThat(deliver(MESSAGE.replace("\"amount\":1}", "\"amount\":2}"))).isEqualTo(ClaimResult.Status.CONFLICT);
            assertThat(deliver(MESSAGE.replace("trk-1", "trk-2").replace("\"amount\":1}", "\"amount\":2}")))
                    .isEqualTo(ClaimResult.Status.CLAIMED);
        }
    }
}
