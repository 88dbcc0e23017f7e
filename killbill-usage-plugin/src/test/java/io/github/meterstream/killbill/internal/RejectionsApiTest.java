package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.SourceCoordinates;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class RejectionsApiTest {

    private static final Function<String, Optional<String>> NO_PARAMS = name -> Optional.empty();

    private final String tenantA = UUID.randomUUID().toString();
    private final String tenantB = UUID.randomUUID().toString();
    private JdbcDeadLetterStore store;
    private RejectionsApi api;
    private String idA;
    private String idB;

    @BeforeEach
    void setUp() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:rejections-api-" + UUID.randomUUID() + ";MODE=MySQL;DB_CLOSE_DELAY=-1");
        store = new JdbcDeadLetterStore(ds, "meterstream_rejected_usage", Clock.systemUTC(), 16_384, 100);
        store.createTableIfAbsent();
        idA = store.record(envelope(tenantA, "trk-a"), "{\"a\":1}".getBytes(StandardCharsets.UTF_8), "sub-a");
        idB = store.record(envelope(tenantB, "trk-b"), "{\"b\":1}".getBytes(StandardCharsets.UTF_8), "sub-b");
        api = new RejectionsApi(() -> store);
    }

    static DeadLetterEnvelope envelope(String tenant, String trackingId) {
        return DeadLetterEnvelope.builder().reasonCode("UNIT_NOT_IN_PLAN").reason("unit type 'x' is not billed")
                .coordinates(SourceCoordinates.of("usage", "usage", "1"))
                .attempts(1).firstFailureAt(Instant.now()).lastFailureAt(Instant.now()).tenant(tenant).trackingId(trackingId).build();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> rows(RejectionsApi.Answer a) {
        return (List<Map<String, Object>>) a.body().get("rejections");
    }

    @Test
    @DisplayName("a tenant lists, counts and reads only its own rejections; another tenant's id is 404 like an absent one")
    void tenantSeesItsOwn() {
        assertThat(rows(api.list(tenantA, NO_PARAMS))).extracting(r -> r.get("trackingId")).containsExactly("trk-a");
        assertThat(rows(api.list(tenantA, name -> name.equals("limit") ? Optional.of("5") : Optional.empty()))).hasSize(1);
        assertThat(api.counts(tenantA, NO_PARAMS).body().get("byReason")).isEqualTo(Map.of("UNIT_NOT_IN_PLAN", 1L));
        assertThat(api.one(tenantA, idA).body()).containsEntry("payload", "{\"a\":1}");
        assertThat(api.one(tenantA, idB).code()).isEqualTo(404);
        assertThat(api.discard(tenantA, idB, "tenant " + tenantA).code()).isEqualTo(404);
        assertThat(store.find(idB).orElseThrow().state().name()).isEqualTo("REJECTED");
    }

    @Test
    @DisplayName("an admin sees every tenant, or the one it names; discard keeps the row as DISCARDED with who did it")
    void adminAndDiscard() {
        assertThat(rows(api.list(null, NO_PARAMS))).hasSize(2);
        assertThat(rows(api.list(tenantB, NO_PARAMS))).extracting(r -> r.get("trackingId")).containsExactly("trk-b");
        RejectionsApi.Answer discarded = api.discard(null, idA, "admin admin");
        assertThat(discarded.code()).isEqualTo(200);
        assertThat(discarded.body()).containsEntry("state", "DISCARDED").containsEntry("stateBy", "admin admin");
        assertThat(rows(api.list(null, name -> name.equals("state") ? Optional.of("rejected") : Optional.empty())))
                .extracting(r -> r.get("trackingId")).containsExactly("trk-b");
    }

    @Test
    @DisplayName("bad filters are 400; no store (plugin not running) is 503")
    void badRequests() {
        assertThat(api.list(tenantA, name -> name.equals("limit") ? Optional.of("100000") : Optional.empty()).code()).isEqualTo(400);
        assertThat(api.list(tenantA, name -> name.equals("from") ? Optional.of("yesterday") : Optional.empty()).code()).isEqualTo(400);
        assertThat(new RejectionsApi(() -> null).list(null, NO_PARAMS).code()).isEqualTo(503);
    }
}
