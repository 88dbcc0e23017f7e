package io.github.meterstream.killbill.line.kb024;

import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.killbill.billing.entitlement.api.Subscription;
import org.killbill.billing.entitlement.api.SubscriptionApi;
import org.killbill.billing.entitlement.api.SubscriptionEvent;
import org.killbill.billing.usage.api.UsageRecord;
import org.killbill.billing.util.callcontext.TenantContext;

import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Compiled and run against killbill-api 0.54 (Kill Bill 0.24), the API this line is built for. */
@DisplayName("The Kill Bill 0.24 line")
class Killbill024LineTest {

    final Killbill024Line line = new Killbill024Line();

    /** An implementation of {@code type} whose methods answer from {@code answers} by name (null otherwise). */
    static <T> T stub(Class<T> type, Map<String, Object> answers, List<String> calls) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            calls.add(method.getName() + Arrays.toString(args));
            return answers.get(method.getName());
        }));
    }

    static DateTime at(String instant) {
        return new DateTime(Instant.parse(instant).toEpochMilli(), DateTimeZone.forID("Europe/Paris"));
    }

    static Subscription subscription(DateTime billingStart, DateTime entitlementStart, DateTime entitlementEnd, DateTime billingEnd) {
        Map<String, Object> dates = new HashMap<>();
        dates.put("getBillingStartDate", billingStart);
        dates.put("getEffectiveStartDate", entitlementStart);
        dates.put("getEffectiveEndDate", entitlementEnd);
        dates.put("getBillingEndDate", billingEnd);
        return stub(Subscription.class, dates, new ArrayList<>());
    }

    @Nested
    @DisplayName("records usage")
    class Usage {

        @Test
        @DisplayName("at the record's instant (UTC), with the exact amount: a fractional 2.5 stays 2.5")
        void exactAmount() {
            UsageRecord r = line.usageRecord(Instant.parse("2025-06-01T23:30:00.250Z"), new BigDecimal("2.5"));
            assertThat(r.getAmount()).isEqualByComparingTo("2.5");
            assertThat(r.getDate().getMillis()).isEqualTo(Instant.parse("2025-06-01T23:30:00.250Z").toEpochMilli());
            assertThat(r.getDate().getZone()).isEqualTo(DateTimeZone.UTC);
        }

        @Test
        @DisplayName("keeps all nine decimals Kill Bill stores (decimal(18,9))")
        void nineDecimals() {
            assertThat(line.usageRecord(Instant.parse("2025-06-01T00:00:00Z"), new BigDecimal("12.500000001")).getAmount())
                    .isEqualByComparingTo("12.500000001");
        }
    }

    @Nested
    @DisplayName("reads subscription dates (instants)")
    class Dates {

        @Test
        @DisplayName("start: the billing start, else the entitlement start, whatever their time zone")
        void start() {
            assertThat(line.startOf(subscription(at("2025-06-03T10:15:00Z"), at("2025-06-01T00:00:00Z"), null, null)))
                    .isEqualTo(Instant.parse("2025-06-03T10:15:00Z"));
            assertThat(line.startOf(subscription(null, at("2025-06-01T08:00:00Z"), null, null)))
                    .isEqualTo(Instant.parse("2025-06-01T08:00:00Z"));
            assertThat(line.startOf(subscription(null, null, null, null))).isNull();
        }

        @Test
        @DisplayName("end: the entitlement end, else the billing end, as is")
        void end() {
            assertThat(line.endOf(subscription(null, null, at("2025-06-01T12:00:00Z"), at("2025-07-01T00:00:00Z"))))
                    .isEqualTo(Instant.parse("2025-06-01T12:00:00Z"));
            assertThat(line.endOf(subscription(null, null, null, at("2025-07-01T00:00:00Z"))))
                    .isEqualTo(Instant.parse("2025-07-01T00:00:00Z"));
            assertThat(line.endOf(subscription(null, null, null, null))).isNull();
        }

        @Test
        @DisplayName("a subscription event takes effect at its instant")
        void event() {
            SubscriptionEvent e = stub(SubscriptionEvent.class, Map.of("getEffectiveDate", at("2025-06-15T09:30:00Z")), new ArrayList<>());
            assertThat(line.effectiveDateOf(e)).isEqualTo(Instant.parse("2025-06-15T09:30:00Z"));
        }
    }

    @Test
    @DisplayName("looks subscriptions up without deleted events (includeDeletedEvents=false)")
    void lookups() throws Exception {
        List<String> calls = new ArrayList<>();
        Subscription s = subscription(null, null, null, null);
        SubscriptionApi api = stub(SubscriptionApi.class,
                Map.of("getSubscriptionForEntitlementId", s, "getSubscriptionForExternalKey", s), calls);
        TenantContext context = stub(TenantContext.class, Map.of("toString", "ctx"), new ArrayList<>());
        UUID id = UUID.fromString("00000000-0000-0000-0000-000000000001");

        assertThat(line.subscriptionById(api, id, context)).isSameAs(s);
        assertThat(line.subscriptionByExternalKey(api, "ext-1", context)).isSameAs(s);
        assertThat(calls).containsExactly(
                "getSubscriptionForEntitlementId[" + id + ", false, ctx]",
                "getSubscriptionForExternalKey[ext-1, false, ctx]");
    }

    @Test
    @DisplayName("says which line it is")
    void describe() {
        assertThat(line.describe()).isEqualTo("killbill-api 0.54+ (Kill Bill 0.24): UsageRecord(DateTime, BigDecimal)");
    }
}
