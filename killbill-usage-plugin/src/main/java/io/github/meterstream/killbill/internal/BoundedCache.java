package io.github.meterstream.killbill.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A small least-recently-used cache with a time to live, so Kill Bill lookups (tenants,
 * subscriptions, catalog units) cost one call per key per TTL and memory stays bounded. Misses are
 * computed outside the lock; two threads missing the same key may both compute it (harmless).
 */
final class BoundedCache<K, V> {

    private static final class Slot<V> {
        final V value;
        final Instant expires;

        Slot(V value, Instant expires) {
            this.value = value;
            this.expires = expires;
        }
    }

    private final Map<K, Slot<V>> map;
    private final Duration ttl;
    private final Clock clock;

    BoundedCache(int maxSize, Duration ttl, Clock clock) {
        this.ttl = ttl;
        this.clock = clock;
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Slot<V>> eldest) {
                return size() > maxSize;
            }
        };
    }

    V get(K key, Function<K, V> loader) {
        Instant now = clock.instant();
        synchronized (map) {
            Slot<V> e = map.get(key);
            if (e != null && now.isBefore(e.expires)) {
                return e.value;
            }
        }
        V value = loader.apply(key);
        synchronized (map) {
            map.put(key, new Slot<>(value, now.plus(ttl)));
        }
        return value;
    }

    V peek(K key) {
        synchronized (map) {
            Slot<V> e = map.get(key);
            return e == null ? null : e.value;
        }
    }

    void invalidateAll() {
        synchronized (map) {
            map.clear();
        }
    }

    int size() {
        synchronized (map) {
            return map.size();
        }
    }
}
