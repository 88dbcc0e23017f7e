package io.github.meterstream.e2e;

import static org.awaitility.Awaitility.await;

import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The main job on embedded defaults, in one go: an in-process Kafka, a real Kill Bill 0.22 on H2 with the
 * meterstream plugin consuming topic {@value #TOPIC}, a tenant with one subscription, a few usage messages
 * published, and the usage read back as Kill Bill reports it (plus the dry-run invoice). Run by
 * {@code ./quickstart.sh}; {@code QuickstartIT} runs the same in CI.
 */
public final class Quickstart {
    static final String TOPIC = "usage";
    static final String SOURCE = "usage";

    /** What Kill Bill reported at the end. */
    static final class Result {
        final Map<String, Long> usage;
        final JsonNode invoice;

        Result(Map<String, Long> usage, JsonNode invoice) {
            this.usage = usage;
            this.invoice = invoice;
        }
    }

    private Quickstart() {
    }

    public static void main(String[] args) {
        try {
            run(System.out);
            System.exit(0);
        } catch (Throwable e) {
            System.err.println("Quickstart failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    static Result run(PrintStream out) throws Exception {
        out.println("== Meterstream quickstart: Kafka (in-process) -> meterstream plugin -> Kill Bill 0.22 (H2)");
        try (KafkaBroker kafka = new KafkaBroker(TOPIC, 1)) {
            kafka.start();
            return withKafka(kafka, out);
        }
    }

    /** Prints {@code what} with the seconds elapsed every 5 s until closed, so that a long wait is not silence. */
    private static AutoCloseable ticker(PrintStream out, String what) {
        long start = System.nanoTime();
        ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "quickstart-ticker");
            t.setDaemon(true);
            return t;
        });
        ticks.scheduleAtFixedRate(() -> out.println(what + " (" + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) + " s)"),
                5, 5, TimeUnit.SECONDS);
        return ticks::shutdownNow;
    }

    private static Result withKafka(KafkaBroker kafka, PrintStream out) throws Exception {
        KillbillServer server = null;
        try {
            out.println("Kafka started at " + kafka.bootstrapServers() + ", topic " + TOPIC);

            out.println("Starting Kill Bill with the plugin (this takes 15-60 s) ...");
            try (AutoCloseable ticker = ticker(out, "  ... Kill Bill still starting")) {
                server = Meterstream.server("quickstart", SOURCE, kafka.sourceConfig())
                        .build().start();
            }
            KillbillClient admin = server.adminClient();
            out.println("Kill Bill started at " + server.baseUri() + " (admin/password) in " + server.startTime().toSeconds()
                    + " s; log " + server.consoleLog());
            Meterstream.awaitSourceConnected(admin, SOURCE, Duration.ofSeconds(90));

            ScenarioTenant t = ScenarioTenant.create(admin, "quickstart");
            out.println("Tenant " + t.tenantId + ", account " + t.accountId + ", subscription " + t.subscriptionId
                    + " on plan " + UsageCatalog.PLAN);

            List<Long> amounts = List.of(1000L, 200L, 34L);
            long total = 0;
            for (int i = 0; i < amounts.size(); i++) {
                String message = t.usage("quickstart-" + i, UsageCatalog.API_CALL, amounts.get(i));
                kafka.publish(t.subscriptionId.toString(), message);
                total += amounts.get(i);
                if (i == 0) {
                    out.println("  message: " + message);
                }
            }
            out.println(amounts.size() + " messages published to topic " + TOPIC + " (" + UsageCatalog.API_CALL + " "
                    + amounts + ")");

            long expected = total;
            await("Kill Bill reports the usage").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().until(() -> t.usageToday().getOrDefault(UsageCatalog.API_CALL, 0L) == expected);
            Map<String, Long> usage = t.usageToday();
            LocalDate today = ScenarioTenant.today();
            out.println("Kill Bill reports (GET " + server.baseUri() + "/1.0/kb/usages/" + t.subscriptionId + "?startDate="
                    + today + "&endDate=" + today.plusDays(1) + "):");
            usage.forEach((unit, amount) -> out.println("  subscription " + t.subscriptionId + " " + unit + " = " + amount));

            LocalDate invoiceDate = today.withDayOfMonth(1).plusMonths(1);
            JsonNode invoice = t.client.dryRunInvoice(t.accountId, invoiceDate);
            out.println("Dry-run invoice on " + invoiceDate + ":");
            if (invoice != null) {
                for (JsonNode item : invoice.path("items")) {
                    if ("USAGE".equals(item.path("itemType").asText())) {
                        out.println("  USAGE " + item.path("usageName").asText(item.path("description").asText()) + ": "
                                + item.path("amount").decimalValue().toPlainString() + " " + item.path("currency").asText());
                    }
                }
                out.println("  total " + invoice.path("amount").decimalValue().toPlainString() + " "
                        + invoice.path("currency").asText());
            } else {
                out.println("  (nothing to invoice)");
            }
            out.println("== Done. Stopping Kill Bill and Kafka.");
            return new Result(usage, invoice);
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
