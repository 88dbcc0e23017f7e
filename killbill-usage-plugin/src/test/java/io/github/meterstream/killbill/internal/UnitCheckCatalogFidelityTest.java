package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.killbill.MeterstreamConfigProperties;
import io.github.meterstream.killbill.fakes.FakeCatalog;
import io.github.meterstream.killbill.fakes.FakeKillbill;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static io.github.meterstream.killbill.fakes.FakeCatalog.blocks;
import static io.github.meterstream.killbill.fakes.FakeCatalog.phase;
import static io.github.meterstream.killbill.fakes.FakeCatalog.plan;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The unit check accepts a unit exactly when Kill Bill would bill it: the plan in effect at the
 * record date, in the catalog version Kill Bill picks for that subscription and date
 * ({@code DefaultVersionedCatalog.findCatalogPlanEntry}: the newest version containing the plan
 * that is older than the subscription's last create/change, or whose plan has an {@code
 * effectiveDateForExistingSubscriptions} reached at the record date).
 */
@DisplayName("The unit check follows Kill Bill's plan and catalog version per record date")
class UnitCheckCatalogFidelityTest {

    static final Instant NOW = Instant.parse("2025-09-15T12:00:00Z");
    static final Instant V1 = Instant.parse("2024-01-01T00:00:00Z");
    static final Instant V2 = Instant.parse("2025-06-01T00:00:00Z");

    FakeKillbill kb;
    UUID tenant;
    UsageRecorder recorder;
    int tracking;

    @BeforeEach
    void setUp() {
        kb = new FakeKillbill();
        tenant = kb.tenant("key-t");
    }

    void catalog(FakeCatalog c) {
        kb.catalog(tenant, c);
    }

    /** Records one unit at {@code date}: true when accepted, false when refused as UNIT_NOT_IN_PLAN. */
    boolean accepts(FakeKillbill.Sub sub, String unit, String date) {
        if (recorder == null) {
            Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
            MeterstreamConfigProperties config = MeterstreamConfigProperties.from(new Properties());
            KillbillLookups lookups = new KillbillLookups(kb, KillbillLines.detect(), clock, config);
            recorder = new UsageRecorder(kb, lookups, new UsageRules(lookups, t -> config.defaultTenantRules(), clock), clock, null, null);
        }
        TestRequest r = TestRequest.forTenant(tenant).subscription(sub.id).tracking("trk-" + tracking++).usage(unit, date, "1");
        try {
            return recorder.record(r, "usage", List.of(), TestDelivery.FRESH).outcome() == MessageHandler.Outcome.PROCESSED;
        } catch (PermanentFailure e) {
            assertThat(e.reasonCode()).isEqualTo("UNIT_NOT_IN_PLAN");
            return false;
        }
    }

    @Nested
    @DisplayName("after a plan change")
    class PlanChange {

        FakeKillbill.Sub sub;

        @BeforeEach
        void setUp() {
            catalog(new FakeCatalog().version(V1, plan("basic", phase(blocks("calls"))), plan("pro", phase(blocks("gpu-seconds")))));
            sub = kb.subscription(tenant, "s", "basic", Instant.parse("2025-01-01T00:00:00Z"))
                    .changePlan(Instant.parse("2025-06-10T00:00:00Z"), "pro");
        }

        @Test
        @DisplayName("usage dated before the change is checked against the former plan, which Kill Bill bills it under")
        void beforeChange() {
            assertThat(accepts(sub, "calls", "2025-06-05T10:00:00Z")).isTrue();
            assertThat(accepts(sub, "gpu-seconds", "2025-06-05T10:00:00Z")).isFalse();
        }

        @Test
        @DisplayName("usage dated after the change is checked against the new plan")
        void afterChange() {
            assertThat(accepts(sub, "gpu-seconds", "2025-06-12T10:00:00Z")).isTrue();
            assertThat(accepts(sub, "calls", "2025-06-12T10:00:00Z")).isFalse();
        }
    }

    @Nested
    @DisplayName("when a new catalog version drops a unit and adds one")
    class NewVersion {

        @Test
        @DisplayName("without effectiveDateForExistingSubscriptions, an existing subscription keeps the old version's units")
        void existingSubscriptionStaysOnOldVersion() {
            catalog(new FakeCatalog()
                    .version(V1, plan("basic", phase(blocks("calls", "legacy-unit"))))
                    .version(V2, plan("basic", phase(blocks("calls", "new-unit")))));
            FakeKillbill.Sub existing = kb.subscription(tenant, "s", "basic", Instant.parse("2025-01-01T00:00:00Z"));

            assertThat(accepts(existing, "legacy-unit", "2025-07-01T00:00:00Z")).isTrue();
            assertThat(accepts(existing, "new-unit", "2025-07-01T00:00:00Z")).isFalse();
        }

        @Test
        @DisplayName("with effectiveDateForExistingSubscriptions, an existing subscription moves to the new version from that date")
        void existingSubscriptionMovesAtTheDate() {
            catalog(new FakeCatalog()
                    .version(V1, plan("basic", phase(blocks("calls", "legacy-unit"))))
                    .version(V2, plan("basic", Instant.parse("2025-06-05T00:00:00Z"), phase(blocks("calls", "new-unit")))));
            FakeKillbill.Sub existing = kb.subscription(tenant, "s", "basic", Instant.parse("2025-01-01T00:00:00Z"));

            assertThat(accepts(existing, "legacy-unit", "2025-06-03T00:00:00Z")).as("between the version and the date").isTrue();
            assertThat(accepts(existing, "new-unit", "2025-06-03T00:00:00Z")).isFalse();
            assertThat(accepts(existing, "legacy-unit", "2025-06-06T00:00:00Z")).as("dropped for existing subscriptions").isFalse();
            assertThat(accepts(existing, "new-unit", "2025-06-06T00:00:00Z")).isTrue();
        }

        @Test
        @DisplayName("a subscription created after the new version bills only the new version's units")
        void newSubscriptionUsesNewVersion() {
            catalog(new FakeCatalog()
                    .version(V1, plan("basic", phase(blocks("calls", "legacy-unit"))))
                    .version(V2, plan("basic", phase(blocks("calls", "new-unit")))));
            FakeKillbill.Sub created = kb.subscription(tenant, "s", "basic", Instant.parse("2025-06-20T00:00:00Z"));

            assertThat(accepts(created, "legacy-unit", "2025-07-01T00:00:00Z")).isFalse();
            assertThat(accepts(created, "new-unit", "2025-07-01T00:00:00Z")).isTrue();
        }

        @Test
        @DisplayName("a plan retired in one version and back in a later one with effectiveDateForExistingSubscriptions: an "
                + "existing subscription stays on its version, as Kill Bill 0.22 bills it")
        void planRetiredThenBackKeepsOldVersion() {
            Instant v3 = Instant.parse("2025-06-05T00:00:00Z");
            catalog(new FakeCatalog()
                    .version(V1, plan("basic", phase(blocks("calls", "legacy-unit"))))
                    .version(V2, plan("other", phase(blocks("calls"))))
                    .version(v3, plan("basic", Instant.parse("2025-06-10T00:00:00Z"), phase(blocks("calls", "new-unit")))));
            FakeKillbill.Sub existing = kb.subscription(tenant, "s", "basic", Instant.parse("2025-01-01T00:00:00Z"));

            assertThat(accepts(existing, "legacy-unit", "2025-06-20T00:00:00Z")).isTrue();
            assertThat(accepts(existing, "new-unit", "2025-06-20T00:00:00Z")).isFalse();
        }

        @Test
        @DisplayName("a plan change after the new version moves the subscription onto it")
        void planChangeAfterNewVersion() {
            catalog(new FakeCatalog()
                    .version(V1, plan("basic", phase(blocks("calls", "legacy-unit"))), plan("pro", phase(blocks("calls"))))
                    .version(V2, plan("basic", phase(blocks("calls", "new-unit"))), plan("pro", phase(blocks("calls")))));
            FakeKillbill.Sub sub = kb.subscription(tenant, "s", "pro", Instant.parse("2025-01-01T00:00:00Z"))
                    .changePlan(Instant.parse("2025-07-01T00:00:00Z"), "basic");

            assertThat(accepts(sub, "new-unit", "2025-07-02T00:00:00Z")).isTrue();
            assertThat(accepts(sub, "legacy-unit", "2025-07-02T00:00:00Z")).isFalse();
        }
    }
}
