package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.event.MessageEvent;
import io.github.meterstream.core.source.SourceCoordinates;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Per-tenant counters of one source")
class SourceMonitorTest {

    final Set<String> knownTenants = new HashSet<>();
    // what Kill Bill resolved: a tenant id for a known tenant, null for anything else
    final SourceMonitor monitor = new SourceMonitor("usage", Clock.systemUTC(), MetricsSink.NONE,
            ref -> knownTenants.contains(ref) ? ref : null, 1_000);

    static MessageEvent event(String tenant) {
        return new MessageEvent(SourceCoordinates.of("usage", "q", "1"), tenant, "trk", 1);
    }

    @Test
    @DisplayName("tenant values Kill Bill does not know are counted together, and no raw value is kept")
    void unknownTenantsShareOneBucket() {
        String known = UUID.randomUUID().toString();
        knownTenants.add(known);
        monitor.onProcessed(event(known));
        String huge = "x".repeat(10_000);
        for (int i = 0; i < 2_000; i++) {
            monitor.onRetried(event(huge + i), java.time.Duration.ZERO, null);
        }

        Map<String, Object> counters = monitor.tenantCounters(null);
        assertThat(counters).hasSize(2);
        assertThat(counters.get(SourceMonitor.UNRESOLVED).toString()).contains("retried=2000");
        assertThat(counters.keySet()).allSatisfy(k -> assertThat(k.length()).isLessThanOrEqualTo(64));
        assertThat(counters.get(known).toString()).contains("recorded=1");
    }

    @Test
    @DisplayName("the number of tenants with their own counters is capped; the rest are counted as other")
    void cappedTenantCount() {
        for (int i = 0; i < 3_000; i++) {
            String t = UUID.randomUUID().toString();
            knownTenants.add(t);
            monitor.onProcessed(event(t));
        }
        Map<String, Object> counters = monitor.tenantCounters(null);
        assertThat(counters).hasSize(1_001);
        assertThat(counters.get(SourceMonitor.OTHER).toString()).contains("recorded=2000");
        long recorded = counters.values().stream().mapToLong(m -> (Long) ((Map<?, ?>) m).get("recorded")).sum();
        assertThat(recorded).isEqualTo(3_000);
    }

    @Test
    @DisplayName("a message refused before its tenant was read (INVALID_MESSAGE) counts as dead-lettered for the tenant its envelope names")
    void deadLetteredUnderTheEnvelopesTenant() {
        String known = UUID.randomUUID().toString();
        knownTenants.add(known);
        io.github.meterstream.core.failure.DeadLetterEnvelope envelope = io.github.meterstream.core.failure.DeadLetterEnvelope.builder()
                .reasonCode("INVALID_MESSAGE").reason("trackingId: must be 1 to 128 characters")
                .coordinates(SourceCoordinates.of("usage", "q", "1")).attempts(1).lastFailureAt(java.time.Instant.now())
                .tenant(known).build();

        monitor.onDeadLettered(event(null), envelope);

        assertThat(monitor.tenantCounters(null)).containsOnlyKeys(known);
        assertThat(monitor.tenantCounters(known).get(known).toString()).contains("deadLettered=1");
    }
}
