package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.deadletter.DeadLetterStore;
import io.github.meterstream.core.deadletter.RejectionQuery;
import io.github.meterstream.core.deadletter.StoredRejection;
import io.github.meterstream.core.failure.DeadLetterEnvelope;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The plugin's rejections table: a {@link DeadLetterStore} whose entries name their tenant by the id
 * Kill Bill resolved, because a tenant's REST view reads the rows whose tenant is its id. A message
 * names its tenant by id or API key (and a failure may name it either way); what Kill Bill did not
 * resolve is stored as {@code unknown:} plus the raw value, capped, which no tenant's id ever equals,
 * so only an admin sees it.
 */
final class TenantResolvedRejections implements DeadLetterStore {

    static final String UNKNOWN = "unknown";
    private static final int MAX_RAW = 100;

    private final DeadLetterStore store;
    private final UnaryOperator<String> resolvedTenantId;

    /** @param resolvedTenantId the tenant id Kill Bill resolved for a tenant id or label, else null; never calls Kill Bill */
    TenantResolvedRejections(DeadLetterStore store, UnaryOperator<String> resolvedTenantId) {
        this.store = Objects.requireNonNull(store, "store");
        this.resolvedTenantId = Objects.requireNonNull(resolvedTenantId, "resolvedTenantId");
    }

    /** The tenant column's value for a message naming {@code tenant} (an id, a label, or null). */
    String tenantColumn(String tenant) {
        String id = resolvedTenantId.apply(tenant);
        if (id != null) {
            return id;
        }
        if (tenant == null) {
            return UNKNOWN;
        }
        return UNKNOWN + ':' + (tenant.length() > MAX_RAW ? tenant.substring(0, MAX_RAW) : tenant);
    }

    @Override
    public String record(DeadLetterEnvelope envelope, byte[] payload, String subject) {
        DeadLetterEnvelope resolved = DeadLetterEnvelope.builder()
                .reasonCode(envelope.reasonCode())
                .reason(envelope.reason())
                .exceptionClass(envelope.exceptionClass())
                .coordinates(envelope.coordinates())
                .attempts(envelope.attempts())
                .firstFailureAt(envelope.firstFailureAt())
                .lastFailureAt(envelope.lastFailureAt())
                .tenant(tenantColumn(envelope.tenant()))
                .trackingId(envelope.trackingId())
                .build();
        return store.record(resolved, payload, subject);
    }

    @Override
    public List<StoredRejection> list(RejectionQuery query) {
        return store.list(query);
    }

    @Override
    public Optional<StoredRejection> find(String id) {
        return store.find(id);
    }

    @Override
    public Map<String, Long> countByReason(RejectionQuery query) {
        return store.countByReason(query);
    }

    @Override
    public Map<LocalDate, Long> countByDay(RejectionQuery query) {
        return store.countByDay(query);
    }

    @Override
    public boolean discard(String id, String by) {
        return store.discard(id, by);
    }

    @Override
    public boolean replayed(String id, StoredRejection.ReplayOutcome outcome, String detail, String by) {
        return store.replayed(id, outcome, detail, by);
    }

    @Override
    public int purgeLastSeenBefore(Instant cutoff) {
        return store.purgeLastSeenBefore(cutoff);
    }
}
