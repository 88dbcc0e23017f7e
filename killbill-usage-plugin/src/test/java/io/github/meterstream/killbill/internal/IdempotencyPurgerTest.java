package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Purging the idempotency table")
class IdempotencyPurgerTest {

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        volatile Instant now = Instant.parse("2025-06-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final List<IdempotencyPurger> purgers = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        purgers.forEach(IdempotencyPurger::close);
    }

    static long purgeThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> t.getName().startsWith(IdempotencyPurger.THREAD_NAME)).count();
    }

    @Test
    @DisplayName("keys completed longer ago than the retention are forgotten; recent and in-progress keys are kept")
    void purgesOnlyOldCompletedKeys() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:purge-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        MovableClock clock = new MovableClock();
        JdbcIdempotencyStore store = new JdbcIdempotencyStore(ds, "meterstream_idempotency", clock, "node-a");
        store.createTableIfAbsent();
        IdempotencyKey old = IdempotencyKey.of("t", "id:s", "trk-old");
        IdempotencyKey recent = IdempotencyKey.of("t", "id:s", "trk-recent");
        IdempotencyKey running = IdempotencyKey.of("t", "id:s", "trk-running");
        store.complete(old, store.claim(old, "f", Duration.ofMinutes(5)).claimToken());
        store.claim(running, "f", Duration.ofDays(365));
        clock.now = clock.now.plus(Duration.ofDays(31));
        store.complete(recent, store.claim(recent, "f", Duration.ofMinutes(5)).claimToken());

        IdempotencyPurger purger = new IdempotencyPurger(store::purgeCompletedBefore, clock, Duration.ofDays(30), Duration.ofHours(1));
        assertThat(purger.runOnce()).isEqualTo(1);

        assertThat(store.claim(old, "f", Duration.ofMinutes(5)).status()).as("forgotten").isEqualTo(ClaimResult.Status.CLAIMED);
        assertThat(store.claim(recent, "f", Duration.ofMinutes(5)).status()).isEqualTo(ClaimResult.Status.DUPLICATE);
        assertThat(store.claim(running, "f", Duration.ofMinutes(5)).status()).isEqualTo(ClaimResult.Status.IN_PROGRESS);
    }

    @Test
    @DisplayName("runs periodically on its own thread, survives a failed run, and stops when closed")
    void periodicOnItsOwnThread() {
        long before = purgeThreads();
        AtomicInteger runs = new AtomicInteger();
        List<String> threads = new CopyOnWriteArrayList<>();
        IdempotencyPurger purger = new IdempotencyPurger(cutoff -> {
            threads.add(Thread.currentThread().getName());
            if (runs.incrementAndGet() == 1) {
                throw new TransientFailure("database down", null);
            }
            return 0;
        }, Clock.systemUTC(), Duration.ofDays(30), Duration.ofMillis(10));
        purgers.add(purger);
        purger.start();

        await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() >= 3);
        assertThat(threads).allSatisfy(n -> assertThat(n).startsWith(IdempotencyPurger.THREAD_NAME));
        purger.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> purgeThreads() == before);
        int after = runs.get();
        assertThat(purger.isRunning()).isFalse();
        assertThat(runs.get()).isEqualTo(after);
    }
}
