package io.github.meterstream.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Benchmarks 3 and 6 of docs/BENCHMARKS.md against the real Kill Bill 0.22.26 this module runs, started by
 * the Maven profile {@code bench-killbill} ({@code -Dbench=killbill-ingest} or {@code -Dbench=killbill-recovery},
 * arguments in {@code -Dbench.args="k=v ..."}).
 * <ul>
 * <li>{@code killbill-ingest}: usage records per second through the plugin (Kafka, N messages published while the
 * plugin is stopped, timed from START_PLUGIN until the plugin has recorded all N) vs through
 * {@code POST /1.0/kb/usages} from 16 concurrent clients, interleaved, on the same server and database; once on a
 * server with default settings, once on a server with {@code shiroNbHashIterations=1}. Totals read back over REST
 * at the end (every record once).</li>
 * <li>{@code killbill-recovery}: a producer publishes at a fixed rate; Kill Bill is stopped for 60 s and started on
 * the same database; the time from healthy again until every message published so far is in
 * {@code rolled_up_usage} (SQL count, PostgreSQL), then exactly-once totals.</li>
 * </ul>
 * Not a test: a main class, like {@link Quickstart}. Prints raw numbers, medians, per-round ratios, load average.
 */
public final class KillbillBench {
    private static final String SOURCE = "usage";
    private static final String TOPIC = "usage";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> args;

    private KillbillBench(Map<String, String> args) {
        this.args = args;
    }

    public static void main(String[] argv) {
        Map<String, String> a = new LinkedHashMap<>();
        String mode = argv.length > 0 ? argv[0] : "";
        for (int i = 1; i < argv.length; i++) {
            for (String kv : argv[i].trim().split("\\s+")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    a.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        }
        try {
            KillbillBench b = new KillbillBench(a);
            if ("killbill-ingest".equals(mode)) {
                b.ingest();
            } else if ("killbill-recovery".equals(mode)) {
                b.recovery();
            } else {
                throw new IllegalArgumentException("-Dbench=killbill-ingest or killbill-recovery, not '" + mode + "'");
            }
            System.exit(0);
        } catch (Throwable e) {
            System.err.println("benchmark failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private int intArg(String k, int def) {
        return Integer.parseInt(args.getOrDefault(k, String.valueOf(def)));
    }

    private String arg(String k, String def) {
        return args.getOrDefault(k, def);
    }

    // ------------------------------------------------------------------------------------------ ingest

    private void ingest() throws Exception {
        int n = intArg("n", 5000);
        int rounds = intArg("rounds", 3);
        int restSeconds = intArg("rest-seconds", 20);
        int clients = intArg("clients", 16);
        int subs = intArg("subscriptions", 100);
        List<String> servers = Arrays.asList(arg("servers", "default,nohash").split(","));
        KillbillServer.Database db = KillbillServer.Database.valueOf(arg("db", "h2").toUpperCase(Locale.ROOT));
        out("== benchmark 3: into a real Kill Bill 0.22.26 (" + db + "); n=" + n + " rounds=" + rounds + " rest-seconds="
                + restSeconds + " clients=" + clients + " subscriptions=" + subs + " servers=" + servers + " args=" + args);
        try (KafkaBroker kafka = new KafkaBroker(TOPIC, intArg("partitions", 1))) {
            kafka.start();
            for (String serverKind : servers) {
                ingestOn(kafka, serverKind, db, n, rounds, restSeconds, clients, subs);
            }
        }
    }

    private KillbillServer.Builder serverBuilder(String name, String kind, KafkaBroker kafka, KillbillServer.Database db) {
        Map<String, String> source = new LinkedHashMap<>(kafka.sourceConfig());
        for (Map.Entry<String, String> e : args.entrySet()) {
            if (e.getKey().startsWith("source.")) { // documented source keys, e.g. source.pipeline.concurrency=16
                source.put(e.getKey().substring("source.".length()), e.getValue());
            }
        }
        KillbillServer.Builder b = Meterstream.server(name, SOURCE, source).database(db);
        if ("nohash".equals(kind)) {
            b.property("org.killbill.security.shiroNbHashIterations", "1");
        } else if (!"default".equals(kind)) {
            throw new IllegalArgumentException("servers: default or nohash, not " + kind);
        }
        if (Boolean.parseBoolean(arg("jfr", "false"))) {
            b.jvmArg("-XX:StartFlightRecording=filename=kb-" + name + ".jfr,settings=profile,dumponexit=true");
        }
        return b;
    }

    private void ingestOn(KafkaBroker kafka, String kind, KillbillServer.Database db, int n, int rounds, int restSeconds,
            int clients, int subs) throws Exception {
        out("");
        out("=== server '" + kind + "'" + ("nohash".equals(kind) ? " (org.killbill.security.shiroNbHashIterations=1)" : " (default settings)"));
        try (KillbillServer server = serverBuilder("bench-" + kind, kind, kafka, db).build().start();
                Publisher pub = new Publisher(kafka.bootstrapServers())) {
            out("Kill Bill healthy in " + server.startTime().toMillis() + " ms; work dir " + server.workDir());
            KillbillClient admin = server.adminClient();
            Meterstream.awaitSourceConnected(admin, SOURCE, Duration.ofSeconds(120));
            Tenant t = Tenant.create(admin, server.baseUri(), "bench-" + kind, subs);
            out("tenant " + t.tenantId + " with " + subs + " subscriptions created; load " + load());

            long expected = 0;
            // warm-up, not reported
            expected += pluginRun(admin, pub, t, "warm-" + kind, Math.min(500, n), false).count;
            expected += restRun(t, "warm-" + kind, clients, Math.min(5, restSeconds)).count;
            out("warm-up done; load " + load());

            List<Double> plugin = new ArrayList<>();
            List<Double> pluginSteady = new ArrayList<>();
            List<Double> rest = new ArrayList<>();
            List<String> loads = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                boolean pluginFirst = r % 2 == 0;
                for (int v = 0; v < 2; v++) {
                    if ((v == 0) == pluginFirst) {
                        Run p = pluginRun(admin, pub, t, kind + "-r" + r, n, true);
                        plugin.add(p.rate);
                        pluginSteady.add(p.steadyRate);
                        expected += p.count;
                    } else {
                        Run q = restRun(t, kind + "-r" + r, clients, restSeconds);
                        rest.add(q.rate);
                        expected += q.count;
                    }
                }
                loads.add(load());
                out(String.format(Locale.ROOT, "round %d (%s first): plugin %.1f/s (after first record %.1f/s), REST %.1f/s, ratio %.2f; load %s",
                        r + 1, pluginFirst ? "plugin" : "REST", plugin.get(r), pluginSteady.get(r), rest.get(r),
                        plugin.get(r) / rest.get(r), loads.get(r)));
            }
            // exactly once: the totals Kill Bill reports = every record published or posted, amount 1 each
            long reported = 0;
            for (UUID sub : t.subscriptions) {
                reported += t.client.usageTotals(sub, today(), today().plusDays(1)).getOrDefault(UsageCatalog.API_CALL, 0L);
            }
            JsonNode counts = Meterstream.tenantCounts(admin, SOURCE, t.tenantId);
            out("exactly once: Kill Bill reports " + reported + " api-call over the " + subs + " subscriptions, expected "
                    + expected + (reported == expected ? " (equal)" : " (DIFFERENT)") + "; plugin counters since last start " + counts);

            List<Double> ratios = new ArrayList<>();
            List<Double> steadyRatios = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                ratios.add(plugin.get(r) / rest.get(r));
                steadyRatios.add(pluginSteady.get(r) / rest.get(r));
            }
            out("| server '" + kind + "' | median /s | raw (per round) |");
            out("| plugin (from START_PLUGIN) | " + f(median(plugin)) + " | " + join(plugin) + " |");
            out("| plugin (from first record) | " + f(median(pluginSteady)) + " | " + join(pluginSteady) + " |");
            out("| REST, " + clients + " clients | " + f(median(rest)) + " | " + join(rest) + " |");
            out(String.format(Locale.ROOT, "ratio plugin/REST: median of per-round ratios %.2f (raw %s), ratio of medians %.2f",
                    median(ratios), join2(ratios), median(plugin) / median(rest)));
            out(String.format(Locale.ROOT, "ratio plugin (from first record)/REST: median of per-round ratios %.2f (raw %s)",
                    median(steadyRatios), join2(steadyRatios)));
            out("load average after each round: " + loads);
        }
    }

    /** One measured run: records stored, rate over the whole run, rate after the first record. */
    private static final class Run {
        final long count;
        final double rate;
        final double steadyRate;

        Run(long count, double rate, double steadyRate) {
            this.count = count;
            this.rate = rate;
            this.steadyRate = steadyRate;
        }
    }

    /**
     * Stops the plugin, publishes n messages (unique trackingIds, round robin over the subscriptions, amount 1),
     * starts the plugin and times until the plugin's counter for the tenant shows all n recorded.
     */
    private Run pluginRun(KillbillClient admin, Publisher pub, Tenant t, String label, int n, boolean print) throws Exception {
        long before = recorded(admin, t.tenantId);
        admin.stopPlugin(Meterstream.PLUGIN, Meterstream.VERSION);
        awaitState(admin, "STOPPED");
        for (int i = 0; i < n; i++) {
            UUID sub = t.subscriptions.get(i % t.subscriptions.size());
            pub.send(sub.toString(), Meterstream.usage(t.tenantId, sub, "p-" + label + "-" + i, UsageCatalog.API_CALL, today(), 1));
        }
        pub.flush();
        long t0 = System.nanoTime();
        admin.startPlugin(Meterstream.PLUGIN, Meterstream.VERSION);
        long first = -1;
        long base = -1;
        long deadline = t0 + TimeUnit.MINUTES.toNanos(10);
        while (true) {
            long c;
            try {
                c = recorded(admin, t.tenantId);
            } catch (RuntimeException notYet) {
                c = -1; // plugin still starting: its servlet is not there yet
            }
            long now = System.nanoTime();
            if (c >= 0 && base < 0) {
                // counters live in the plugin: reset by its restart unless they kept counting
                base = c < before || before == 0 ? 0 : before;
            }
            if (c >= 0 && c - base > 0 && first < 0) {
                first = now;
            }
            if (c >= 0 && c - base >= n) {
                if (c - base > n) {
                    throw new IllegalStateException("recorded " + (c - base) + " > " + n + " in " + label);
                }
                double secs = (now - t0) / 1e9;
                double steady = (now - first) / 1e9;
                if (print) {
                    out(String.format(Locale.ROOT, "  plugin %s: %d recorded in %.2f s from START_PLUGIN (%.2f s after the first record)",
                            label, n, secs, steady));
                }
                return new Run(n, n / secs, steady > 0 ? n / steady : Double.NaN);
            }
            if (now > deadline) {
                throw new IllegalStateException("plugin recorded only " + (c - base) + " of " + n + " in 10 min (" + label + ")");
            }
            Thread.sleep(20); // polling interval of the plugin's counter, not a wait for a condition
        }
    }

    private static long recorded(KillbillClient admin, UUID tenantId) {
        return Meterstream.tenantCounts(admin, SOURCE, tenantId).path("recorded").asLong(0);
    }

    private static void awaitState(KillbillClient admin, String state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!state.equals(admin.pluginState(Meterstream.PLUGIN))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("plugin not " + state + " within 120 s: " + admin.pluginState(Meterstream.PLUGIN));
            }
            Thread.sleep(100);
        }
    }

    /** {@code clients} threads POST one record each per call for {@code seconds}; rate of 201s. */
    private Run restRun(Tenant t, String label, int clients, int seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newFixedThreadPool(4)).build();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong lastDone = new AtomicLong();
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            fs.add(pool.submit(() -> {
                long i = 0;
                while (System.nanoTime() < end) {
                    UUID sub = t.subscriptions.get((int) ((client + i * clients) % t.subscriptions.size()));
                    ObjectNode body = JSON.createObjectNode().put("subscriptionId", sub.toString())
                            .put("trackingId", "r-" + label + "-" + client + "-" + i);
                    ObjectNode unit = body.putArray("unitUsageRecords").addObject().put("unitType", UsageCatalog.API_CALL);
                    unit.putArray("usageRecords").addObject().put("recordDate", today().toString()).put("amount", 1);
                    HttpRequest req = t.request("/1.0/kb/usages").header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
                    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 201) {
                        ok.incrementAndGet();
                    } else if (failed.incrementAndGet() <= 3) {
                        System.err.println("REST usage -> " + r.statusCode() + " " + r.body());
                    }
                    lastDone.accumulateAndGet(System.nanoTime(), Math::max);
                    i++;
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        double secs = (lastDone.get() - t0) / 1e9;
        out(String.format(Locale.ROOT, "  REST %s: %d recorded (201), %d failed, in %.2f s", label, ok.get(), failed.get(), secs));
        return new Run(ok.get(), ok.get() / secs, ok.get() / secs);
    }

    // ---------------------------------------------------------------------------------------- recovery

    private void recovery() throws Exception {
        int rounds = intArg("rounds", 3);
        int rate = intArg("rate", 50);
        int outageSeconds = intArg("outage-seconds", 60);
        int subs = intArg("subscriptions", 100);
        KillbillServer.Database db = KillbillServer.Database.valueOf(arg("db", "postgresql").toUpperCase(Locale.ROOT));
        if (db != KillbillServer.Database.POSTGRESQL) {
            throw new IllegalArgumentException("recovery counts rows in rolled_up_usage over JDBC: db=postgresql");
        }
        out("== benchmark 6: recovery after a Kill Bill outage (" + db + "); rate=" + rate + "/s outage=" + outageSeconds
                + " s rounds=" + rounds + " subscriptions=" + subs + " args=" + args);
        try (KafkaBroker kafka = new KafkaBroker(TOPIC, intArg("partitions", 1))) {
            kafka.start();
            try (KillbillServer server = serverBuilder("bench-recovery", arg("server", "default"), kafka, db).build().start();
                    Publisher pub = new Publisher(kafka.bootstrapServers())) {
                KillbillClient admin = server.adminClient();
                out("Kill Bill healthy in " + server.startTime().toMillis() + " ms; work dir " + server.workDir());
                Meterstream.awaitSourceConnected(admin, SOURCE, Duration.ofSeconds(120));
                Tenant t = Tenant.create(admin, server.baseUri(), "bench-recovery", subs);
                out("tenant " + t.tenantId + " with " + subs + " subscriptions created; load " + load());

                AtomicLong seq = new AtomicLong();
                AtomicLong acked = new AtomicLong();
                ScheduledExecutorService producer = Executors.newSingleThreadScheduledExecutor();
                producer.scheduleAtFixedRate(() -> {
                    long i = seq.getAndIncrement();
                    UUID sub = t.subscriptions.get((int) (i % t.subscriptions.size()));
                    pub.send(sub.toString(), Meterstream.usage(t.tenantId, sub, "rec-" + i, UsageCatalog.API_CALL, today(), 1),
                            acked);
                }, 0, 1_000_000 / rate, TimeUnit.MICROSECONDS);

                List<Double> drains = new ArrayList<>();
                List<Long> backlogs = new ArrayList<>();
                List<Double> restarts = new ArrayList<>();
                List<String> loads = new ArrayList<>();
                List<Double> pure = new ArrayList<>();
                List<Double> fromStart = new ArrayList<>();
                try (Connection sql = DriverManager.getConnection(server.jdbcUrl(), "postgres", "postgres")) {
                    Thread.sleep(10_000); // publishing at the fixed rate for 10 s before the first outage
                    awaitCaughtUp(sql, seq, Duration.ofMinutes(3));
                    out("steady: " + count(sql) + " recorded of " + seq.get() + " published; load " + load());
                    for (int r = 0; r < rounds; r++) {
                        long tStop = System.nanoTime();
                        server.stop();
                        long stopped = System.nanoTime();
                        long countAtStop = count(sql);
                        Thread.sleep(Math.max(0, TimeUnit.SECONDS.toMillis(outageSeconds) - (stopped - tStop) / 1_000_000));
                        long tStart = System.nanoTime();
                        long publishedAtStart = seq.get();
                        long countAtStart = count(sql);
                        // the plugin starts consuming while Kill Bill is still starting: sample the count meanwhile
                        AtomicLong firstNew = new AtomicLong(-1);
                        AtomicLong startBacklogDone = new AtomicLong(-1);
                        Thread sampler = new Thread(() -> {
                            try (Connection c2 = DriverManager.getConnection(server.jdbcUrl(), "postgres", "postgres")) {
                                while (startBacklogDone.get() < 0 && !Thread.currentThread().isInterrupted()) {
                                    long c = count(c2);
                                    long now = System.nanoTime();
                                    if (firstNew.get() < 0 && c > countAtStart) {
                                        firstNew.set(now);
                                    }
                                    if (c >= publishedAtStart) {
                                        startBacklogDone.set(now);
                                    }
                                    Thread.sleep(50); // polling interval of the SQL count
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            } catch (Exception e) {
                                System.err.println("sampler: " + e);
                            }
                        }, "count-sampler");
                        sampler.start();
                        server.start();
                        long tHealthy = System.nanoTime();
                        long published = seq.get();
                        long atHealthy = count(sql);
                        long deadline = tHealthy + TimeUnit.MINUTES.toNanos(10);
                        while (true) {
                            long c = count(sql);
                            long now = System.nanoTime();
                            if (c >= published) {
                                sampler.join(TimeUnit.MINUTES.toMillis(10));
                                double drain = (now - tHealthy) / 1e9;
                                double startDrain = (startBacklogDone.get() - firstNew.get()) / 1e9;
                                drains.add(drain);
                                backlogs.add(publishedAtStart - countAtStart);
                                restarts.add((tHealthy - tStart) / 1e9);
                                pure.add(startDrain);
                                fromStart.add((startBacklogDone.get() - tStart) / 1e9);
                                loads.add(load());
                                out(String.format(Locale.ROOT,
                                        "round %d: stop %.1f s, outage until start() %.1f s; backlog at start() %d (published %d, recorded %d); "
                                                + "start() to healthy %.1f s; first new record %.1f s after start(); that backlog recorded %.1f s "
                                                + "after start() = %.2f s after the first new record (%.0f records/s); "
                                                + "at healthy %d of %d published recorded, all of them %.2f s after healthy; load %s",
                                        r + 1, (stopped - tStop) / 1e9, (tStart - tStop) / 1e9, publishedAtStart - countAtStart,
                                        publishedAtStart, countAtStart, (tHealthy - tStart) / 1e9, (firstNew.get() - tStart) / 1e9,
                                        (startBacklogDone.get() - tStart) / 1e9, startDrain, (publishedAtStart - countAtStart) / startDrain,
                                        atHealthy, published, drain, load()));
                                break;
                            }
                            if (now > deadline) {
                                sampler.interrupt();
                                throw new IllegalStateException("backlog not drained in 10 min: " + c + " of " + published);
                            }
                            Thread.sleep(50); // polling interval of the SQL count
                        }
                        awaitCaughtUp(sql, seq, Duration.ofMinutes(3));
                        Thread.sleep(10_000); // steady publishing between outages
                    }
                    producer.shutdown();
                    producer.awaitTermination(10, TimeUnit.SECONDS);
                    pub.flush();
                    long total = seq.get();
                    awaitCaughtUp(sql, seq, Duration.ofMinutes(3));
                    Thread.sleep(3_000); // anything extra (a duplicate) would arrive now
                    try (Statement s = sql.createStatement();
                            ResultSet rs = s.executeQuery("select count(*), count(distinct tracking_id), coalesce(sum(amount),0) "
                                    + "from rolled_up_usage where tracking_id like 'rec-%'")) {
                        rs.next();
                        out("exactly once: published " + total + " (acked " + acked.get() + "); rolled_up_usage rows " + rs.getLong(1)
                                + ", distinct trackingIds " + rs.getLong(2) + ", sum(amount) " + rs.getBigDecimal(3).toPlainString()
                                + (rs.getLong(1) == total && rs.getLong(2) == total ? " (exactly once)" : " (NOT exactly once)"));
                    }
                    out("plugin counters since the last start: " + Meterstream.tenantCounts(admin, SOURCE, t.tenantId));
                } finally {
                    producer.shutdownNow();
                }
                out("| | median | raw (per outage) |");
                out("| drain time after healthy (s) | " + f2(median(drains)) + " | " + join2(drains) + " |");
                List<Double> bl = new ArrayList<>();
                backlogs.forEach(b -> bl.add((double) b));
                out("| backlog at start() (messages) | " + f(median(bl)) + " | " + join(bl) + " |");
                out("| start() to that backlog recorded (s) | " + f2(median(fromStart)) + " | " + join2(fromStart) + " |");
                out("| first new record to that backlog recorded (s) | " + f2(median(pure)) + " | " + join2(pure) + " |");
                out("| restart, start() to healthy (s) | " + f2(median(restarts)) + " | " + join2(restarts) + " |");
                out("load average after each outage: " + loads);
            }
        }
    }

    private static long count(Connection sql) throws Exception {
        try (Statement s = sql.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from rolled_up_usage where tracking_id like 'rec-%'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitCaughtUp(Connection sql, AtomicLong seq, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long target = seq.get();
        while (count(sql) < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not caught up within " + timeout + ": " + count(sql) + " of " + target);
            }
            Thread.sleep(100);
        }
    }

    // ------------------------------------------------------------------------------------------ pieces

    /** A tenant with the usage catalog, one account and {@code n} subscriptions; its own REST credentials. */
    private static final class Tenant {
        final UUID tenantId;
        final KillbillClient client;
        final List<UUID> subscriptions;
        final URI base;
        final String apiKey;
        final String apiSecret;

        private Tenant(UUID tenantId, KillbillClient client, List<UUID> subscriptions, URI base, String apiKey, String apiSecret) {
            this.tenantId = tenantId;
            this.client = client;
            this.subscriptions = subscriptions;
            this.base = base;
            this.apiKey = apiKey;
            this.apiSecret = apiSecret;
        }

        static Tenant create(KillbillClient admin, URI base, String label, int n) {
            String suffix = label + "-" + Long.toHexString(System.nanoTime());
            UUID id = admin.createTenant("key-" + suffix, "secret-" + suffix, "tenant-" + suffix);
            KillbillClient client = admin.forTenant("key-" + suffix, "secret-" + suffix);
            client.uploadCatalog(UsageCatalog.xml());
            UUID account = client.createAccount("acct-" + suffix, "USD", 1);
            List<UUID> subs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                subs.add(client.createSubscription(account, "sub-" + suffix + "-" + i, UsageCatalog.PLAN));
            }
            return new Tenant(id, client, subs, base, "key-" + suffix, "secret-" + suffix);
        }

        HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            (KillbillServer.ADMIN_USER + ":" + KillbillServer.ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                    .header("X-Killbill-CreatedBy", "meterstream-bench").header("X-Killbill-ApiKey", apiKey)
                    .header("X-Killbill-ApiSecret", apiSecret).header("Accept", "application/json");
        }
    }

    /** An async Kafka producer (acks=all) for pre-publishing and fixed-rate publishing. */
    private static final class Publisher implements AutoCloseable {
        private final KafkaProducer<String, String> producer;

        Publisher(String bootstrap) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producer = new KafkaProducer<>(p);
        }

        void send(String key, String value) {
            producer.send(new ProducerRecord<>(TOPIC, key, value), (md, e) -> {
                if (e != null) {
                    System.err.println("publish failed: " + e);
                }
            });
        }

        void send(String key, String value, AtomicLong acked) {
            producer.send(new ProducerRecord<>(TOPIC, key, value), (md, e) -> {
                if (e != null) {
                    System.err.println("publish failed: " + e);
                } else {
                    acked.incrementAndGet();
                }
            });
        }

        void flush() {
            producer.flush();
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(5));
        }
    }

    private static LocalDate today() {
        return ScenarioTenant.today();
    }

    private static String load() {
        try {
            String[] p = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int k = s.size();
        return k == 0 ? Double.NaN : k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }

    private static String f(double x) {
        return String.format(Locale.ROOT, "%,.0f", x);
    }

    private static String f2(double x) {
        return String.format(Locale.ROOT, "%.2f", x);
    }

    private static String join(List<Double> xs) {
        List<String> s = new ArrayList<>();
        xs.forEach(x -> s.add(f(x)));
        return String.join(", ", s);
    }

    private static String join2(List<Double> xs) {
        List<String> s = new ArrayList<>();
        xs.forEach(x -> s.add(f2(x)));
        return String.join(", ", s);
    }

    private static void out(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
