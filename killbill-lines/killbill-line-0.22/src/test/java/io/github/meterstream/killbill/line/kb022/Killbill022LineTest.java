package io.github.meterstream.killbill.line.kb022;

import io.github.meterstream.core.failure.PermanentFailure;
import org.joda.time.LocalDate;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Compiled and run against killbill-api 0.53 (Kill Bill 0.22), the API this line is built for. */
@DisplayName("The Kill Bill 0.22 line")
class Killbill022LineTest {

    final Killbill022Line line = new Killbill022Line();

    /** An implementation of {@code type} whose methods answer from {@code answers} by name (null otherwise). */
    static <T> T stub(Class<T> type, Map<String, Object> answers, List<String> calls) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            calls.add(method.getName() + Arrays.toString(method.getParameterTypes()).replace("class ", ""));
            return answers.get(method.getName());
        }));
    }

    static Subscription subscription(LocalDate billingStart, LocalDate entitlementStart, LocalDate entitlementEnd, LocalDate billingEnd) {
        java.util.HashMap<String, Object> dates = new java.util.HashMap<>();
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
        @DisplayName("per UTC day, in whole units: UsageRecord(LocalDate, Long)")
        void wholeUnitsPerDay() {
            UsageRecord r = line.usageRecord(Instant.parse("2025-06-01T23:30:00Z"), new BigDecimal("3"));
            assertThat(r.getDate()).isEqualTo(new LocalDate(2025, 6, 1));
            assertThat(r.getAmount()).isEqualTo(3L);
        }

        @Test
        @DisplayName("a whole amount written with decimals (2.000) is still a whole number")
        void trailingZeros() {
            assertThat(line.usageRecord(Instant.parse("2025-06-01T00:00:00Z"), new BigDecimal("2.000")).getAmount()).isEqualTo(2L);
        }

        @Test
        @DisplayName("refuses a fractional amount: PermanentFailure INVALID_AMOUNT (0.22 stores usage as bigint)")
        void fractionalAmount() {
            assertThatThrownBy(() -> line.usageRecord(Instant.parse("2025-06-01T10:00:00Z"), new BigDecimal("2.5")))
                    .isInstanceOfSatisfying(PermanentFailure.class, f -> {
                        assertThat(f.reasonCode()).isEqualTo("INVALID_AMOUNT");
                        assertThat(f.getMessage()).contains("2.5").contains("whole numbers");
                    });
        }

        @Test
        @DisplayName("refuses an amount beyond a long: PermanentFailure INVALID_AMOUNT")
        void tooLarge() {
            assertThatThrownBy(() -> line.usageRecord(Instant.parse("2025-06-01T10:00:00Z"), new BigDecimal("9223372036854775808")))
                    .isInstanceOfSatisfying(PermanentFailure.class, f -> assertThat(f.reasonCode()).isEqualTo("INVALID_AMOUNT"));
        }
    }

    @Nested
    @DisplayName("reads subscription dates (days)")
    class Dates {

        @Test
        @DisplayName("start: the billing start day at midnight UTC, else the entitlement start")
        void start() {
            assertThat(line.startOf(subscription(new LocalDate(2025, 6, 3), new LocalDate(2025, 6, 1), null, null)))
                    .isEqualTo(Instant.parse("2025-06-03T00:00:00Z"));
            assertThat(line.startOf(subscription(null, new LocalDate(2025, 6, 1), null, null)))
                    .isEqualTo(Instant.parse("2025-06-01T00:00:00Z"));
            assertThat(line.startOf(subscription(null, null, null, null))).isNull();
        }

        @Test
        @DisplayName("end: the entitlement end day, else the billing end, becomes the next midnight (exclusive)")
        void end() {
            assertThat(line.endOf(subscription(null, null, new LocalDate(2025, 6, 1), new LocalDate(2025, 7, 1))))
                    .isEqualTo(Instant.parse("2025-06-02T00:00:00Z"));
            assertThat(line.endOf(subscription(null, null, null, new LocalDate(2025, 7, 1))))
                    .isEqualTo(Instant.parse("2025-07-02T00:00:00Z"));
            assertThat(line.endOf(subscription(null, null, null, null))).isNull();
        }

        @Test
        @DisplayName("a subscription event takes effect at midnight UTC of its day")
        void event() {
            SubscriptionEvent e = stub(SubscriptionEvent.class, Map.of("getEffectiveDate", new LocalDate(2025, 6, 15)), new ArrayList<>());
            assertThat(line.effectiveDateOf(e)).isEqualTo(Instant.parse("2025-06-15T00:00:00Z"));
        }
    }

    @Test
    @DisplayName("looks subscriptions up with 0.22's two-argument methods")
    void lookups() throws Exception {
        List<String> calls = new ArrayList<>();
        Subscription s = subscription(null, null, null, null);
        SubscriptionApi api = stub(SubscriptionApi.class,
                Map.of("getSubscriptionForEntitlementId", s, "getSubscriptionForExternalKey", s), calls);
        TenantContext context = stub(TenantContext.class, Map.of(), new ArrayList<>());

        assertThat(line.subscriptionById(api, UUID.randomUUID(), context)).isSameAs(s);
        assertThat(line.subscriptionByExternalKey(api, "ext-1", context)).isSameAs(s);
        assertThat(calls).containsExactly(
                "getSubscriptionForEntitlementId[java.util.UUID, interface org.killbill.billing.util.callcontext.TenantContext]",
                "getSubscriptionForExternalKey[java.lang.String, interface org.killbill.billing.util.callcontext.TenantContext]");
    }

    @Test
    @DisplayName("says which line it is")
    void describe() {
        assertThat(line.describe()).isEqualTo("killbill-api 0.53 (Kill Bill 0.22): UsageRecord(LocalDate, Long)");
    }
}
