package io.github.meterstream.core.idempotency;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link IdempotencyStore} in this process's memory: correct across the threads and pipelines
 * of one JVM, forgotten on restart. For tests, examples and single-node consumers whose handler is
 * itself idempotent; several nodes need {@link JdbcIdempotencyStore}.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

    private static final class Entry {
        final String fingerprint;
        final boolean completed;
        final String token;
        final Instant leaseUntil;

        Entry(String fingerprint, boolean completed, String token, Instant leaseUntil) {
            this.fingerprint = fingerprint;
            this.completed = completed;
            this.token = token;
            this.leaseUntil = leaseUntil;
        }
    }

    private final ConcurrentMap<IdempotencyKey, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();
    private final Clock clock;

    public InMemoryIdempotencyStore() {
        this(Clock.systemUTC());
    }

    /** A store that reads lease expiry from {@code clock}, so tests can move time. */
    public InMemoryIdempotencyStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public ClaimResult claim(IdempotencyKey key, String fingerprint, Duration lease) {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Instant now = clock.instant();
        // Tokens only need to be unique within this store; a counter avoids SecureRandom per message.
        String token = Long.toString(tokens.incrementAndGet());
        // The common case, a key never seen: one insert, no lambda and no result holder.
        if (entries.putIfAbsent(key, new Entry(fingerprint, false, token, now.plus(lease))) == null) {
            return ClaimResult.claimed(token);
        }
        ClaimResult[] result = new ClaimResult[1];
        entries.compute(key, (k, existing) -> {
            if (existing == null) {
                result[0] = ClaimResult.claimed(token);
                return new Entry(fingerprint, false, token, now.plus(lease));
            }
            if (!existing.fingerprint.equals(fingerprint)) {
                result[0] = ClaimResult.conflict(existing.fingerprint);
                return existing;
            }
            if (existing.completed) {
                result[0] = ClaimResult.duplicate();
                return existing;
            }
            if (existing.leaseUntil.isAfter(now)) {
                result[0] = ClaimResult.inProgress();
                return existing;
            }
            result[0] = ClaimResult.takenOver(token);
            return new Entry(fingerprint, false, token, now.plus(lease));
        });
        return result[0];
    }

    @Override
    public void complete(IdempotencyKey key, String claimToken) {
        entries.computeIfPresent(key, (k, e) -> !e.completed && e.token.equals(claimToken)
                ? new Entry(e.fingerprint, true, e.token, e.leaseUntil) : e);
    }

    @Override
    public boolean renew(IdempotencyKey key, String claimToken, Duration lease) {
        Instant until = clock.instant().plus(lease);
        boolean[] renewed = new boolean[1];
        entries.computeIfPresent(key, (k, e) -> {
            if (e.completed || !e.token.equals(claimToken)) {
                return e;
            }
            renewed[0] = true;
            return new Entry(e.fingerprint, false, e.token, until);
        });
        return renewed[0];
    }

    @Override
    public void release(IdempotencyKey key, String claimToken) {
        entries.computeIfPresent(key, (k, e) -> !e.completed && e.token.equals(claimToken) ? null : e);
    }

    /** Expires the claim at once: the next claim takes it over (and says so). */
    @Override
    public void abandon(IdempotencyKey key, String claimToken) {
        entries.computeIfPresent(key, (k, e) -> !e.completed && e.token.equals(claimToken)
                ? new Entry(e.fingerprint, false, e.token, Instant.EPOCH) : e);
    }

    /** Number of keys remembered (claimed or completed). */
    public int size() {
        return entries.size();
    }
}
