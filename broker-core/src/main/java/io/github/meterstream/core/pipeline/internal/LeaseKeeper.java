package io.github.meterstream.core.pipeline.internal;

import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renews the idempotency claims of the handlers running now, every third of the lease, so that a
 * handler slower than the lease (a lock wait, a slow downstream) keeps its claim and no other node
 * runs the same message beside it. Only a node that stops renewing (crashed, frozen, cut off from
 * the store) loses its claims, after one lease. On its own {@link Scheduler} (a real one has its own
 * thread): a renewal waiting on a slow database must not delay the pipeline's retries and probes.
 */
public final class LeaseKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    private final IdempotencyStore store;
    private final Duration lease;
    private final Map<IdempotencyKey, String> held = new ConcurrentHashMap<>();
    private final Scheduler timer;
    private volatile boolean failing;

    /** Starts renewing at once, on {@code timer}, which this keeper closes when it is closed. */
    public LeaseKeeper(IdempotencyStore store, Duration lease, Scheduler timer) {
        this.store = store;
        this.lease = lease;
        this.timer = timer;
        timer.scheduleRepeatedly(Duration.ofMillis(Math.max(1L, lease.toMillis() / 3)), this::renewAll);
    }

    /** Keeps {@code key}'s claim alive until {@link #release}. */
    public void hold(IdempotencyKey key, String token) {
        held.put(key, token);
    }

    public void release(IdempotencyKey key) {
        held.remove(key);
    }

    private void renewAll() {
        boolean failed = false;
        for (Map.Entry<IdempotencyKey, String> e : held.entrySet()) {
            try {
                if (!store.renew(e.getKey(), e.getValue(), lease) && held.remove(e.getKey(), e.getValue())) {
                    LOG.error("The claim on {} was lost while its handler was running (it expired and another node"
                            + " took it over): that node may run the same message; raise idempotency.lease", e.getKey());
                }
            } catch (RuntimeException x) {
                failed = true;
                if (!failing) {
                    LOG.warn("Could not renew idempotency claims ({}); retrying every {} ms", x.toString(),
                            lease.toMillis() / 3);
                }
            }
        }
        if (failing && !failed) {
            LOG.info("Idempotency claims renewed again");
        }
        failing = failed;
    }

    @Override
    public void close() {
        timer.close();
    }
}
