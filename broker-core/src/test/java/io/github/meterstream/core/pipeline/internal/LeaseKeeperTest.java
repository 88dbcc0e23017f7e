package io.github.meterstream.core.pipeline.internal;

import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("LeaseKeeper")
class LeaseKeeperTest {

    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final IdempotencyKey KEY = IdempotencyKey.of("ns", "scope", "id-1");

    private final ManualTime time = new ManualTime();
    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(time.clock());
    private final LeaseKeeper keeper = new LeaseKeeper(store, LEASE, time.scheduler("lease"));

    @AfterEach
    void close() {
        keeper.close();
    }

    @Test
    @DisplayName("a held claim is renewed every third of the lease, so a handler slower than the lease keeps it")
    void heldClaimOutlivesItsLease() {
        String token = store.claim(KEY, "fp", LEASE).claimToken();
        keeper.hold(KEY, token);

        time.advance(Duration.ofMinutes(10));

        assertThat(store.claim(KEY, "fp", LEASE).status()).as("another node still sees it in progress")
                .isEqualTo(ClaimResult.Status.IN_PROGRESS);
    }

    @Test
    @DisplayName("a released claim is no longer renewed and expires after one lease")
    void releasedClaimExpires() {
        String token = store.claim(KEY, "fp", LEASE).claimToken();
        keeper.hold(KEY, token);
        time.advance(Duration.ofMinutes(2));
        keeper.release(KEY);

        time.advance(LEASE.minusSeconds(1));
        assertThat(store.claim(KEY, "fp", LEASE).status()).isEqualTo(ClaimResult.Status.IN_PROGRESS);
        time.advance(Duration.ofSeconds(1));
        ClaimResult takeover = store.claim(KEY, "fp", LEASE);
        assertThat(takeover.status()).isEqualTo(ClaimResult.Status.CLAIMED);
        assertThat(takeover.isTakenOver()).isTrue();
    }

    @Test
    @DisplayName("nothing is renewed after close")
    void nothingAfterClose() {
        String token = store.claim(KEY, "fp", LEASE).claimToken();
        keeper.hold(KEY, token);
        keeper.close();

        time.advance(LEASE);
        assertThat(store.claim(KEY, "fp", LEASE).isTakenOver()).isTrue();
    }
}
