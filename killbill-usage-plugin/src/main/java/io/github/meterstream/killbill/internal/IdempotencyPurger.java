package io.github.meterstream.killbill.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes idempotency keys completed longer ago than the retention ({@code idempotency.retention}),
 * every {@code idempotency.purge-interval}, on its own thread (never a consumer's). The retention is
 * the dedupe window: a copy redelivered after its key was purged is claimed afresh and reaches Kill
 * Bill, whose own tracking-id check then refuses it (50000); after a fresh claim that answer is
 * dead-lettered as {@code IDEMPOTENCY_CONFLICT}, so such a late copy is never billed twice but lands
 * in the dead-letter destination. Keys still claimed (in progress) are never purged. A failed run
 * (database down) is logged and tried again at the next one.
 */
final class IdempotencyPurger implements AutoCloseable {

    static final String THREAD_NAME = "meterstream-idempotency-purge";
    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyPurger.class);
    // soon after start, so that a plugin restarted more often than the interval still purges
    private static final Duration FIRST_RUN_AFTER = Duration.ofMinutes(1);

    /** The store's purge ({@code JdbcIdempotencyStore.purgeCompletedBefore}). */
    @FunctionalInterface
    interface Purge {
        int purgeCompletedBefore(Instant cutoff);
    }

    private final Purge purge;
    private final Clock clock;
    private final Duration retention;
    private final Duration interval;
    private ScheduledExecutorService scheduler;

    IdempotencyPurger(Purge purge, Clock clock, Duration retention, Duration interval) {
        this.purge = Objects.requireNonNull(purge, "purge");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.interval = Objects.requireNonNull(interval, "interval");
    }

    /** Schedules the runs; idempotent. */
    synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        long first = Math.min(FIRST_RUN_AFTER.toMillis(), interval.toMillis());
        scheduler.scheduleWithFixedDelay(this::runQuietly, first, interval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("Idempotency keys completed more than {} ago are purged every {}", retention, interval);
    }

    /** One purge now: keys completed before now minus the retention. Returns how many were deleted. */
    int runOnce() {
        Instant cutoff = clock.instant().minus(retention);
        return purge.purgeCompletedBefore(cutoff);
    }

    private void runQuietly() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again: log, and try at the next interval
            LOG.warn("Purging idempotency keys failed, trying again in {}: {}", interval, e.toString());
        }
    }

    synchronized boolean isRunning() {
        return scheduler != null && !scheduler.isShutdown();
    }

    /** Stops the runs and waits briefly for one in progress (its DELETE is one statement). */
    @Override
    public synchronized void close() {
        if (scheduler == null) {
            return;
        }
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("An idempotency purge was still running at stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
