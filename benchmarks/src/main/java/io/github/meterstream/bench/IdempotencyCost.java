package io.github.meterstream.bench;

import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Benchmark 4: the idempotency store. (a) claim + complete per message, straight on the store, 1 and
 * 8 threads, JdbcIdempotencyStore on PostgreSQL vs InMemoryIdempotencyStore; (b) the pipeline end to
 * end on the in-memory source (no-op handler) with each store.
 */
final class IdempotencyCost {

    private static final Duration LEASE = PipelineConfig.DEFAULT_IDEMPOTENCY_LEASE;
    private static final String FINGERPRINT = "0".repeat(64);

    private IdempotencyCost() {
    }

    static void run(String[] args) throws Exception {
        int rounds = Report.intArg(args, "rounds", 5);
        int jdbcN = Report.intArg(args, "jdbc-n", 3_000);
        int memN = Report.intArg(args, "mem-n", 200_000);
        int pipeJdbcN = Report.intArg(args, "pipeline-jdbc-n", 5_000);
        int pipeMemN = Report.intArg(args, "pipeline-mem-n", 50_000);
        int concurrency = PipelineConfig.DEFAULT_CONCURRENCY;
        try (Postgres pg = new Postgres(concurrency)) {
            System.out.println("- PostgreSQL " + Postgres.URL + ": " + pg.settings() + "; HikariCP pool of " + concurrency);
            System.out.printf("- store: N=%d (JDBC), %d (in-memory); pipeline: N=%d (JDBC), %d (in-memory), concurrency %d%n",
                    jdbcN, memN, pipeJdbcN, pipeMemN, concurrency);
            Report store = new Report("claim+complete/s");
            Report pipeline = new Report("msg/s");
            // warm-up
            storeRate(new InMemoryIdempotencyStore(), 20_000, 1, "w");
            storeRate(pg.freshStore(), 500, 1, "w");
            pipelineRate(new InMemoryIdempotencyStore(), 5_000, "w");
            pipelineRate(pg.freshStore(), 500, "w");
            for (int r = 1; r <= rounds; r++) {
                store.add("in-memory, 1 thread", storeRate(new InMemoryIdempotencyStore(), memN, 1, "r" + r));
                store.add("jdbc-postgresql, 1 thread", storeRate(pg.freshStore(), jdbcN, 1, "r" + r));
                store.add("in-memory, 8 threads", storeRate(new InMemoryIdempotencyStore(), memN, 8, "r" + r));
                store.add("jdbc-postgresql, 8 threads", storeRate(pg.freshStore(), jdbcN, 8, "r" + r));
                pipeline.add("pipeline + in-memory store", pipelineRate(new InMemoryIdempotencyStore(), pipeMemN, "r" + r));
                pipeline.add("pipeline + jdbc-postgresql store", pipelineRate(pg.freshStore(), pipeJdbcN, "r" + r));
                store.endRound(r);
                pipeline.endRound(r);
            }
            System.out.println("\n#### store alone");
            store.print(new String[][] {{"jdbc-postgresql, 1 thread", "in-memory, 1 thread"},
                    {"jdbc-postgresql, 8 threads", "in-memory, 8 threads"},
                    {"jdbc-postgresql, 8 threads", "jdbc-postgresql, 1 thread"}});
            System.out.println("#### pipeline end to end (in-memory source, no-op handler)");
            pipeline.print(new String[][] {{"pipeline + jdbc-postgresql store", "pipeline + in-memory store"}});
        }
    }

    /** claim + complete of {@code n} distinct keys, split over {@code threads}; per second. */
    static double storeRate(IdempotencyStore store, int n, int threads, String run) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            String prefix = run + "-" + System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int from = t;
                tasks.add(() -> {
                    for (int i = from; i < n; i += threads) {
                        IdempotencyKey key = IdempotencyKey.of(UsagePayloads.TENANT, UsagePayloads.subscription(i % 1000),
                                prefix + '-' + i);
                        ClaimResult c = store.claim(key, FINGERPRINT, LEASE);
                        if (c.status() != ClaimResult.Status.CLAIMED) {
                            throw new IllegalStateException("unexpected " + c.status());
                        }
                        store.complete(key, c.claimToken());
                    }
                    return null;
                });
            }
            long start = System.nanoTime();
            for (Future<Void> f : pool.invokeAll(tasks)) {
                f.get();
            }
            return n / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdown();
        }
    }

    static double pipelineRate(IdempotencyStore store, int n, String run) throws Exception {
        String name = "bench-" + run + "-" + System.nanoTime();
        InMemoryBroker broker = InMemoryBroker.named(name);
        try {
            for (int i = 0; i < n; i++) {
                broker.publish("usage", UsagePayloads.payload(name, i), Map.of());
            }
            return MeterstreamRun.consume(new InMemoryBrokerSource(name, broker, "usage"), n, PipelineConfig.defaults(),
                    store, null, Duration.ofMinutes(3));
        } finally {
            broker.close();
        }
    }
}
