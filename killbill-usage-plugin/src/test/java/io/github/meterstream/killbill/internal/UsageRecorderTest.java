package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.MessageContext;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.MeterstreamTenantRules;
import io.github.meterstream.killbill.fakes.FakeCatalog;
import io.github.meterstream.killbill.fakes.FakeKillbill;
import io.github.meterstream.killbill.line.KillbillLine;
import io.github.meterstream.killbill.line.kb024.Killbill024Line;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.killbill.billing.ErrorCode;
import org.killbill.billing.usage.api.UsageApiException;
import org.killbill.billing.util.callcontext.CallOrigin;
import org.killbill.billing.util.callcontext.UserType;

import java.math.BigDecimal;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static io.github.meterstream.killbill.fakes.FakeCatalog.blocks;
import static io.github.meterstream.killbill.fakes.FakeCatalog.limit;
import static io.github.meterstream.killbill.fakes.FakeCatalog.phase;
import static io.github.meterstream.killbill.fakes.FakeCatalog.plan;
import static io.github.meterstream.killbill.fakes.FakeCatalog.tier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Recording one usage message in Kill Bill")
class UsageRecorderTest {

    static final Instant NOW = Instant.parse("2025-06-15T12:00:00Z");
    static final String SOURCE = "usage";

    FakeKillbill kb;
    UUID tenant;
    UUID otherTenant;
    FakeKillbill.Sub sub;
    FakeKillbill.Sub otherTenantsSub;
    Map<UUID, MeterstreamTenantRules> rules;
    Properties props;
    UsageRecorder recorder;

    @BeforeEach
    void setUp() {
        kb = new FakeKillbill();
        tenant = kb.tenant("key-t");
        otherTenant = kb.tenant("key-o");
        FakeCatalog catalog = new FakeCatalog()
                .version(Instant.parse("2024-01-01T00:00:00Z"), plan("api-monthly",
                        phase(blocks("trial-unit")),
                        phase(blocks("api-calls"), tier("tiered-unit", "tier-limit-unit"), limit("limited-unit"))))
                .version(Instant.parse("2025-06-01T00:00:00Z"), plan("api-monthly",
                        phase(blocks("api-calls", "new-unit"))));
        kb.catalog(tenant, catalog);
        kb.catalog(otherTenant, catalog);
        sub = kb.subscription(tenant, "sub-ext-1", "api-monthly", Instant.parse("2024-06-01T00:00:00Z"));
        otherTenantsSub = kb.subscription(otherTenant, "sub-ext-1", "api-monthly", Instant.parse("2024-06-01T00:00:00Z"));
        rules = new HashMap<>();
        props = new Properties();
        recorder = null;
    }

    UsageRecorder recorder() {
        if (recorder == null) {
            Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
            MeterstreamConfigProperties config = MeterstreamConfigProperties.from(props);
            recorder = TestRecorder.of(kb, clock, config, t -> rules.getOrDefault(t, config.defaultTenantRules()));
        }
        return recorder;
    }

    TestRequest usage(String unit, String date, String amount) {
        return TestRequest.forTenant(tenant).subscription(sub.id).usage(unit, date, amount);
    }

    /** What the pipeline tells the handler: false when this message's idempotency claim was fresh. */
    boolean earlierAttemptMayHaveWritten = true;

    UsageRecorder.RecordResult record(TestRequest r) {
        return record(r, List.of());
    }

    UsageRecorder.RecordResult record(TestRequest r, List<String> allowedTenants) {
        MessageContext delivery = earlierAttemptMayHaveWritten ? TestDelivery.TAKEN_OVER : TestDelivery.FRESH;
        return recorder().record(r.message(), SOURCE, allowedTenants, delivery);
    }

    static PermanentFailure permanent(Runnable r) {
        try {
            r.run();
        } catch (PermanentFailure e) {
            return e;
        }
        throw new AssertionError("expected a PermanentFailure");
    }

    void setTenantRules(String text) throws Exception {
        Properties p = new Properties();
        p.load(new java.io.StringReader(text));
        rules.put(tenant, MeterstreamTenantRules.fromTenantProperties(p, MeterstreamTenantRules.defaults()));
    }

    @Nested
    @DisplayName("when the message is valid")
    class Valid {

        @Test
        @DisplayName("usage is recorded with its tracking id, date and exact amount, as an internal admin call of the tenant")
        void recorded() {
            UsageRecorder.RecordResult result = record(usage("api-calls", "2025-06-14T10:00:00Z", "12.500000001").tracking("trk-42"));

            assertThat(result.outcome()).isEqualTo(MessageHandler.Outcome.PROCESSED);
            assertThat(kb.usage.rows).singleElement().satisfies(row -> {
                assertThat(row.subscriptionId).isEqualTo(sub.id);
                assertThat(row.trackingId).isEqualTo("trk-42");
                assertThat(row.unitType).isEqualTo("api-calls");
                assertThat(row.recordDate.getMillis()).isEqualTo(Instant.parse("2025-06-14T10:00:00Z").toEpochMilli());
                assertThat(row.amount).isEqualByComparingTo("12.500000001");
                assertThat(row.context.getTenantId()).isEqualTo(tenant);
                assertThat(row.context.getCallOrigin()).isEqualTo(CallOrigin.INTERNAL);
                assertThat(row.context.getUserType()).isEqualTo(UserType.ADMIN);
            });
        }

        @Test
        @DisplayName("a tenant named by api key and a subscription named by external key are found")
        void byApiKeyAndExternalKey() {
            TestRequest r = new TestRequest();
            r.apiKey = "key-t";
            r.externalKey = "sub-ext-1";
            r.usage("api-calls", "2025-06-14T10:00:00Z", "1");

            record(r);

            assertThat(kb.usage.rows).singleElement().satisfies(row -> assertThat(row.subscriptionId).isEqualTo(sub.id));
        }

        @Test
        @DisplayName("units of every phase, tiered blocks, limits and tier limits are units of the plan")
        void everyKindOfUnit() {
            for (String unit : List.of("trial-unit", "tiered-unit", "tier-limit-unit", "limited-unit")) {
                record(usage(unit, "2025-05-14T10:00:00Z", "1").tracking("trk-" + unit));
            }
            assertThat(kb.usage.rows).hasSize(4);
        }

        @Test
        @DisplayName("a unit dropped by a newer catalog version is accepted while the subscription stays on the older one")
        void olderVersionUnit() {
            record(usage("limited-unit", "2025-06-14T10:00:00Z", "1"));
            assertThat(kb.usage.rows).hasSize(1);
        }

        @Test
        @DisplayName("the plugin logs in with configured credentials before recording")
        void login() {
            props.setProperty(MeterstreamConfigProperties.PREFIX + "killbill.username", "admin");
            props.setProperty(MeterstreamConfigProperties.PREFIX + "killbill.password", "password");
            record(usage("api-calls", "2025-06-14T10:00:00Z", "1"));
            assertThat(kb.logins).hasValue(1);
        }

        @Test
        @DisplayName("lookups are cached: ten messages of one subscription look it up once")
        void cached() {
            for (int i = 0; i < 10; i++) {
                record(usage("api-calls", "2025-06-14T10:00:00Z", "1").tracking("trk-" + i));
            }
            assertThat(kb.subscriptionLookups).hasValue(1);
        }
    }

    @Nested
    @DisplayName("tenant and subscription")
    class TenantAndSubscription {

        @Test
        @DisplayName("an unknown tenant is UNKNOWN_TENANT")
        void unknownTenant() {
            PermanentFailure f = permanent(() -> record(TestRequest.forTenant(UUID.randomUUID()).subscription(sub.id)
                    .usage("api-calls", "2025-06-14T10:00:00Z", "1")));
            assertThat(f.reasonCode()).isEqualTo("UNKNOWN_TENANT");
        }

        @Test
        @DisplayName("a source bound to other tenants rejects the message as TENANT_NOT_ALLOWED")
        void tenantNotAllowed() {
            PermanentFailure f = permanent(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1"),
                    List.of(otherTenant.toString())));
            assertThat(f.reasonCode()).isEqualTo("TENANT_NOT_ALLOWED");
            assertThat(f.getMessage()).contains("sources.usage.tenants");
            assertThat(kb.usage.rows).isEmpty();
        }

        @Test
        @DisplayName("a source bound to the tenant accepts it (ids compared ignoring case)")
        void tenantAllowed() {
            record(usage("api-calls", "2025-06-14T10:00:00Z", "1"), List.of(tenant.toString().toUpperCase()));
            assertThat(kb.usage.rows).hasSize(1);
        }

        @Test
        @DisplayName("a tenant whose 'sources' rule omits the source rejects it as SOURCE_NOT_ALLOWED")
        void sourceNotAllowed() throws Exception {
            setTenantRules("sources=billing-events");
            PermanentFailure f = permanent(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1")));
            assertThat(f.reasonCode()).isEqualTo("SOURCE_NOT_ALLOWED");
        }

        @Test
        @DisplayName("an unknown subscription is UNKNOWN_SUBSCRIPTION")
        void unknownSubscription() {
            PermanentFailure f = permanent(() -> record(TestRequest.forTenant(tenant).subscription(UUID.randomUUID())
                    .usage("api-calls", "2025-06-14T10:00:00Z", "1")));
            assertThat(f.reasonCode()).isEqualTo("UNKNOWN_SUBSCRIPTION");
        }

        @Test
        @DisplayName("another tenant's subscription is UNKNOWN_SUBSCRIPTION")
        void otherTenantsSubscription() {
            PermanentFailure f = permanent(() -> record(TestRequest.forTenant(tenant).subscription(otherTenantsSub.id)
                    .usage("api-calls", "2025-06-14T10:00:00Z", "1")));
            assertThat(f.reasonCode()).isEqualTo("UNKNOWN_SUBSCRIPTION");
        }
    }

    @Nested
    @DisplayName("record rules")
    class RecordRules {

        @Test
        @DisplayName("a unit not used by the plan is UNIT_NOT_IN_PLAN, naming the plan's units")
        void unitNotInPlan() {
            PermanentFailure f = permanent(() -> record(usage("gigabytes", "2025-06-14T10:00:00Z", "1")));
            assertThat(f.reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
            assertThat(f.getMessage()).contains("api-monthly", "api-calls");
        }

        @Test
        @DisplayName("a unit added by a newer catalog version is refused for a subscription Kill Bill keeps on the older one")
        void newerVersionUnit() {
            // the subscription started before the newer version, which sets no effectiveDateForExistingSubscriptions
            assertThat(permanent(() -> record(usage("new-unit", "2025-05-14T10:00:00Z", "1"))).reasonCode())
                    .isEqualTo("UNIT_NOT_IN_PLAN");
            PermanentFailure f = permanent(() -> record(usage("new-unit", "2025-06-14T10:00:00Z", "1").tracking("trk-2")));
            assertThat(f.reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
            assertThat(f.getMessage()).contains("2024-01-01");
            assertThat(kb.usage.rows).isEmpty();
        }

        @Test
        @DisplayName("a record before the subscription starts is RECORD_BEFORE_SUBSCRIPTION_START")
        void beforeStart() {
            assertThat(permanent(() -> record(usage("api-calls", "2024-05-31T23:59:59Z", "1"))).reasonCode())
                    .isEqualTo("RECORD_BEFORE_SUBSCRIPTION_START");
        }

        @Test
        @DisplayName("a record after the subscription ended is RECORD_AFTER_SUBSCRIPTION_END")
        void afterEnd() {
            sub.end = Instant.parse("2025-06-01T00:00:00Z");
            assertThat(permanent(() -> record(usage("api-calls", "2025-06-02T00:00:00Z", "1"))).reasonCode())
                    .isEqualTo("RECORD_AFTER_SUBSCRIPTION_END");
        }

        @Test
        @DisplayName("a record further ahead of Kill Bill's clock than the tolerance (1 day by default) is FORWARD_DATED")
        void forwardDated() {
            record(usage("api-calls", NOW.plus(Duration.ofHours(23)).toString(), "1").tracking("ok"));
            assertThat(permanent(() -> record(usage("api-calls", NOW.plus(Duration.ofHours(25)).toString(), "1"))).reasonCode())
                    .isEqualTo("FORWARD_DATED");
        }

        @Test
        @DisplayName("a tenant's own forward-dated-tolerance applies")
        void tenantTolerance() throws Exception {
            setTenantRules("forward-dated-tolerance=3d");
            record(usage("api-calls", NOW.plus(Duration.ofDays(2)).toString(), "1"));
            assertThat(kb.usage.rows).hasSize(1);
        }

        @Test
        @DisplayName("late usage beyond readMaxRawUsagePreviousPeriod periods before the charged-through date is LATE_USAGE")
        void lateRejected() {
            sub.chargedThrough = LocalDate.parse("2025-06-01");
            // 2 monthly periods before 2025-06-01: 2025-04-01
            record(usage("api-calls", "2025-04-01T00:00:00Z", "1").tracking("in-window"));
            PermanentFailure f = permanent(() -> record(usage("api-calls", "2025-03-31T23:00:00Z", "1")));
            assertThat(f.reasonCode()).isEqualTo("LATE_USAGE");
            assertThat(f.getMessage()).contains("late-usage-policy=accept");
        }

        @Test
        @DisplayName("late usage is recorded and flagged when the tenant's policy accepts it")
        void lateAccepted() throws Exception {
            sub.chargedThrough = LocalDate.parse("2025-06-01");
            setTenantRules("late-usage-policy=accept");
            UsageRecorder.RecordResult r = record(usage("api-calls", "2025-01-10T00:00:00Z", "1"));
            assertThat(r.late()).isTrue();
            assertThat(kb.usage.rows).hasSize(1);
        }

        @Test
        @DisplayName("the tenant's own readMaxRawUsagePreviousPeriod (per-tenant Kill Bill config) moves the cut-off")
        void tenantReadMax() {
            sub.chargedThrough = LocalDate.parse("2025-06-01");
            kb.tenantValue(tenant, "PER_TENANT_CONFIG", "{\"org.killbill.invoice.readMaxRawUsagePreviousPeriod\":\"5\"}");
            record(usage("api-calls", "2025-01-02T00:00:00Z", "1"));
            assertThat(kb.usage.rows).hasSize(1);
        }

        @Test
        @DisplayName("a tenant whose rules cannot be used is held (retried later), not recorded under the global rules")
        void heldTenant() {
            rules.put(tenant, MeterstreamTenantRules.held("its plugin configuration is invalid: sources: bad"));
            assertThatThrownBy(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1")))
                    .isInstanceOf(TransientFailure.class)
                    .hasMessageContaining("invalid").hasMessageContaining(tenant.toString());
            assertThat(kb.usage.rows).isEmpty();
        }

        @Test
        @DisplayName("a database error reading the tenant's readMaxRawUsagePreviousPeriod is transient and the fallback is not remembered")
        void readMaxLookupFailureIsTransient() {
            sub.chargedThrough = LocalDate.parse("2025-06-01");
            kb.tenantValue(tenant, "PER_TENANT_CONFIG", "{\"org.killbill.invoice.readMaxRawUsagePreviousPeriod\":\"5\"}");
            kb.tenantValuesFailNext.add(() -> new RuntimeException("DBI", new SQLTransientConnectionException("connection refused")));
            // dated 2025-01-02: inside the tenant's 5 periods, outside the global default of 2
            TestRequest january = usage("api-calls", "2025-01-02T00:00:00Z", "1");

            assertThatThrownBy(() -> record(january)).isInstanceOf(TransientFailure.class);
            assertThat(kb.usage.rows).isEmpty();

            // the database is back: the retry sees the tenant's own setting, not a cached default of 2
            assertThat(record(january).outcome()).isEqualTo(MessageHandler.Outcome.PROCESSED);
            assertThat(kb.usage.rows).hasSize(1);
        }

        @Test
        @DisplayName("Kill Bill's global readMaxRawUsagePreviousPeriod applies when the tenant sets none")
        void globalReadMax() {
            props.setProperty("org.killbill.invoice.readMaxRawUsagePreviousPeriod", "0");
            sub.chargedThrough = LocalDate.parse("2025-06-01");
            assertThat(permanent(() -> record(usage("api-calls", "2025-05-31T00:00:00Z", "1"))).reasonCode()).isEqualTo("LATE_USAGE");
        }
    }

    @Nested
    @DisplayName("Kill Bill's answers")
    class Answers {

        @Test
        @DisplayName("code 50000 after a claim taken over from an earlier attempt is that attempt's own write: ALREADY_PROCESSED")
        void duplicateOfOwnEarlierAttempt() {
            record(usage("api-calls", "2025-06-14T10:00:00Z", "1"));
            earlierAttemptMayHaveWritten = true;
            UsageRecorder.RecordResult again = record(usage("api-calls", "2025-06-14T10:00:00Z", "1"));
            assertThat(again.outcome()).isEqualTo(MessageHandler.Outcome.ALREADY_PROCESSED);
            assertThat(kb.usage.rows).hasSize(1);
        }

        @Test
        @DisplayName("code 50000 after a fresh claim is someone else's usage under this tracking id: IDEMPOTENCY_CONFLICT, not a silent ack")
        void trackingIdTakenBySomethingElse() {
            record(usage("api-calls", "2025-06-14T10:00:00Z", "1").tracking("trk-reused"));
            earlierAttemptMayHaveWritten = false; // no earlier claim of ours existed for this key
            PermanentFailure f = permanent(() -> record(usage("api-calls", "2025-06-14T11:00:00Z", "7").tracking("trk-reused")));
            assertThat(f.reasonCode()).isEqualTo("IDEMPOTENCY_CONFLICT");
            assertThat(f.getMessage()).contains("trk-reused").contains(sub.id.toString()).contains("new trackingId");
            assertThat(kb.usage.rows).singleElement().satisfies(row -> assertThat(row.amount).isEqualByComparingTo("1"));
        }

        @Test
        @DisplayName("a database error anywhere in the cause chain is a TransientFailure")
        void databaseDown() {
            kb.usage.failNext.add(() -> new RuntimeException("DBI", new SQLTransientConnectionException("connection refused")));
            assertThatThrownBy(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1"))).isInstanceOf(TransientFailure.class);
        }

        @Test
        @DisplayName("an IllegalStateException from recordRolledUpUsage (subscription gone) is UNKNOWN_SUBSCRIPTION")
        void subscriptionGone() {
            kb.usage.failNext.add(() -> new IllegalStateException("No subscription found"));
            assertThat(permanent(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1"))).reasonCode())
                    .isEqualTo("UNKNOWN_SUBSCRIPTION");
        }

        @Test
        @DisplayName("another UsageApiException is KILLBILL_REJECTED with Kill Bill's code")
        void otherRejection() {
            kb.usage.failNext.add(() -> new UsageApiException(ErrorCode.UNEXPECTED_ERROR, "boom"));
            PermanentFailure f = permanent(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1")));
            assertThat(f.reasonCode()).isEqualTo("KILLBILL_REJECTED");
            assertThat(f.getMessage()).contains("code " + ErrorCode.UNEXPECTED_ERROR.getCode());
        }

        @Test
        @DisplayName("any other exception is left unclassified, for the pipeline's bounded retries")
        void unclassified() {
            kb.usage.failNext.add(() -> new UnsupportedOperationException("surprise"));
            assertThatThrownBy(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1")))
                    .isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        @DisplayName("a message without tracking id is refused: Kill Bill would invent one and count redeliveries twice")
        void noTrackingId() {
            assertThat(permanent(() -> record(usage("api-calls", "2025-06-14T10:00:00Z", "1").tracking(null))).reasonCode())
                    .isEqualTo("INVALID_MESSAGE");
        }

        @Test
        @DisplayName("without tracking id, a tenant named by api key is written as its label apiKey:<key>, never as a bare key")
        void noTrackingIdByApiKey() {
            TestRequest r = new TestRequest();
            r.apiKey = "key-t";
            r.usage("api-calls", "2025-06-14T10:00:00Z", "1").tracking(null);
            assertThat(permanent(() -> record(r)).tenant()).isEqualTo("apiKey:key-t");
        }
    }

    @Test
    @DisplayName("the plugin's own killbill-api (0.54) gets the 0.24 line, which keeps a fractional amount")
    void lineOfThisBuild() {
        // the 0.22 line (LocalDate days, whole amounts) is tested against killbill-api 0.53 in killbill-line-0.22
        KillbillLine line = KillbillLines.detect();
        assertThat(line).isInstanceOf(Killbill024Line.class);
        assertThat(line.usageRecord(Instant.parse("2025-06-01T10:00:00Z"), new BigDecimal("2.5")).getAmount())
                .isEqualByComparingTo("2.5");
    }
}
