package io.github.meterstream.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak of one consumer under random faults: publishes unique ids continuously for a while,
 * injects a randomly chosen {@link Fault} now and then for a random time, heals it, and at the end
 * waits for every published id to be recorded. The caller wires the real pieces: how to publish
 * an id to its broker, a pipeline whose handler calls {@link #recorded(String)}, and the faults it
 * can inject for real (a proxy cut, a broker restart, a closed channel).
 *
 * <p>What it measures: ids published, recorded, recorded more than once (must be none), the longest
 * stall (time with ids pending and none recorded), and each fault's count. {@link Result#problems()}
 * lists what broke the promise: never lost, never twice, recovered by itself.
 */
public final class FaultSoak {

    /** A fault the soak can inject and heal. */
    public interface Fault {
        String name();

        void inject() throws Exception;

        void heal() throws Exception;
    }

    /** One step of injecting or healing a fault. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /** A fault named {@code name}, injected and healed by the two actions. */
    public static Fault fault(String name, Action inject, Action heal) {
        return new Fault() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void inject() throws Exception {
                inject.run();
            }

            @Override
            public void heal() throws Exception {
                heal.run();
            }
        };
    }

    /** Publishes one id; may throw while the broker is down (the soak retries it). */
    @FunctionalInterface
    public interface Publisher {
        void publish(String id) throws Exception;
    }

    private final Map<String, AtomicInteger> recorded = new ConcurrentHashMap<>();
    private final AtomicLong lastRecordedNanos = new AtomicLong(System.nanoTime());
    private final Random random;

    public FaultSoak(long seed) {
        this.random = new Random(seed);
    }

    /** Called by the handler for every id it records downstream. */
    public void recorded(String id) {
        recorded.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        lastRecordedNanos.set(System.nanoTime());
    }

    /**
     * Runs the soak.
     *
     * @param duration    how long to publish and inject faults
     * @param perSecond   ids published per second
     * @param faultEvery  mean time between two faults; each lasts a random 1 s to {@code maxFault}
     * @param drainBound  how long the consumer may take to record everything once the last fault healed
     */
    public Result run(Publisher publisher, List<Fault> faults, Duration duration, int perSecond, Duration faultEvery,
                      Duration maxFault, Duration drainBound) throws InterruptedException {
        Objects.requireNonNull(publisher, "publisher");
        List<String> published = new ArrayList<>();
        Map<String, Integer> injected = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        // Faults on their own thread: publishing blocks while the broker is down, healing must not.
        Thread injector = new Thread(() -> injectFaults(faults, injected, end, faultEvery, maxFault), "fault-soak-injector");
        injector.setDaemon(true);
        injector.start();
        long longestStall = 0;
        long pauseNanos = 1_000_000_000L / Math.max(1, perSecond);
        int sequence = 0;
        while (System.nanoTime() < end) {
            String id = "soak-" + (sequence++);
            publishUntilAccepted(publisher, id);
            published.add(id);
            longestStall = Math.max(longestStall, stallNanos(published.size()));
            Thread.sleep(pauseNanos / 1_000_000L, (int) (pauseNanos % 1_000_000L));
        }
        injector.join(maxFault.toMillis() + 60_000);
        if (injector.isAlive()) {
            throw new IllegalStateException("the fault injector did not finish; a fault may still be active");
        }
        long drainDeadline = System.nanoTime() + drainBound.toNanos();
        while (recorded.size() < published.size() && System.nanoTime() < drainDeadline) {
            longestStall = Math.max(longestStall, stallNanos(published.size()));
            Thread.sleep(100);
        }
        longestStall = Math.max(longestStall, stallNanos(published.size()));
        return new Result(published, Map.copyOf(recorded), new LinkedHashMap<>(injected), Duration.ofNanos(longestStall),
                Duration.ofNanos(System.nanoTime() - start));
    }

    private void injectFaults(List<Fault> faults, Map<String, Integer> injected, long end, Duration faultEvery,
                              Duration maxFault) {
        try {
            while (!faults.isEmpty()) {
                Thread.sleep(jittered(faultEvery) / 1_000_000L);
                if (System.nanoTime() >= end) {
                    return;
                }
                Fault fault;
                long lasts;
                synchronized (random) {
                    fault = faults.get(random.nextInt(faults.size()));
                    lasts = 1000 + (long) (random.nextDouble() * Math.max(0, maxFault.toMillis() - 1000));
                }
                injected.merge(fault.name(), 1, Integer::sum);
                try {
                    fault.inject();
                } catch (Exception e) {
                    throw new IllegalStateException("could not inject " + fault.name(), e);
                }
                try {
                    Thread.sleep(lasts);
                } finally {
                    heal(fault);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long stallNanos(int published) {
        return recorded.size() < published ? System.nanoTime() - lastRecordedNanos.get() : 0;
    }

    private long jittered(Duration mean) {
        synchronized (random) {
            return (long) (mean.toNanos() * (0.5 + random.nextDouble()));
        }
    }

    private static void heal(Fault fault) {
        try {
            fault.heal();
        } catch (Exception e) {
            throw new IllegalStateException("could not heal " + fault.name(), e);
        }
    }

    /** A producer retries while its broker is down; so does the soak, without losing the id (or reusing it). */
    private static void publishUntilAccepted(Publisher publisher, String id) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                publisher.publish(id);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (attempt >= 600) {
                    throw new IllegalStateException("could not publish " + id + " for a minute", e);
                }
                Thread.sleep(100);
            }
        }
    }

    /** What a soak saw. */
    public static final class Result {
        private final List<String> published;
        private final Map<String, AtomicInteger> recorded;
        private final Map<String, Integer> faults;
        private final Duration longestStall;
        private final Duration elapsed;

        Result(List<String> published, Map<String, AtomicInteger> recorded, Map<String, Integer> faults,
               Duration longestStall, Duration elapsed) {
            this.published = published;
            this.recorded = recorded;
            this.faults = faults;
            this.longestStall = longestStall;
            this.elapsed = elapsed;
        }

        public int published() {
            return published.size();
        }

        public int recorded() {
            return (int) published.stream().filter(recorded::containsKey).count();
        }

        /** Ids recorded more than once: each one would be billed twice. */
        public List<String> recordedTwice() {
            List<String> twice = new ArrayList<>();
            recorded.forEach((id, n) -> {
                if (n.get() > 1) {
                    twice.add(id);
                }
            });
            return twice;
        }

        public Duration longestStall() {
            return longestStall;
        }

        public Map<String, Integer> faults() {
            return faults;
        }

        /** Empty when nothing was lost or recorded twice. */
        public List<String> problems() {
            List<String> problems = new ArrayList<>();
            if (recorded() != published()) {
                problems.add((published() - recorded()) + " of " + published() + " ids never recorded");
            }
            if (!recordedTwice().isEmpty()) {
                problems.add(recordedTwice().size() + " ids recorded twice, e.g. " + recordedTwice().get(0));
            }
            return problems;
        }

        @Override
        public String toString() {
            return "published=" + published() + " recorded=" + recorded() + " recordedTwice=" + recordedTwice().size()
                    + " longestStall=" + longestStall.toMillis() + "ms faults=" + faults + " elapsed="
                    + elapsed.toSeconds() + "s";
        }
    }
}
