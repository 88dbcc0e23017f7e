package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The harness against a real Kill Bill 0.22: usage over REST is stored, read back, billed, and survives a
 * restart. Subclasses choose the database.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class KillbillServerContract {
    private static final Logger LOG = LoggerFactory.getLogger(KillbillServerContract.class);

    private static KillbillServer server;
    private static KillbillClient tenant;
    private static UUID accountId;
    private static UUID subscriptionId;
    private static final LocalDate TODAY = LocalDate.now(ZoneOffset.UTC);

    static void startServer(KillbillServer.Database database) {
        server = KillbillServer.builder("usage").database(database).build().start();
        LOG.info("TIMING {}: schema {} ms, start {} ms", database, server.schemaTime().toMillis(), server.startTime().toMillis());
        String suffix = Long.toHexString(System.nanoTime());
        KillbillClient admin = server.adminClient();
        admin.createTenant("e2e-key-" + suffix, "e2e-secret-" + suffix, "e2e-tenant-" + suffix);
        tenant = admin.forTenant("e2e-key-" + suffix, "e2e-secret-" + suffix);
        tenant.uploadCatalog(UsageCatalog.xml());
        accountId = tenant.createAccount("acct-" + suffix, "USD", 1);
        subscriptionId = tenant.createSubscription(accountId, "sub-" + suffix, UsageCatalog.PLAN);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("usage posted over REST reads back rolled up per unit")
    void usageReadsBack() {
        assertThat(tenant.recordUsage(subscriptionId, "trk-1", UsageCatalog.API_CALL, TODAY, 1000).status()).isEqualTo(201);
        assertThat(tenant.recordUsage(subscriptionId, "trk-2", UsageCatalog.API_CALL, TODAY, 234).status()).isEqualTo(201);
        assertThat(tenant.recordUsage(subscriptionId, "trk-3", UsageCatalog.GB_STORED, TODAY, 7).status()).isEqualTo(201);

        assertThat(tenant.usageTotals(subscriptionId, TODAY, TODAY.plusDays(1)))
                .containsEntry(UsageCatalog.API_CALL, 1234L)
                .containsEntry(UsageCatalog.GB_STORED, 7L);
    }

    @Test
    @Order(2)
    @DisplayName("a trackingId already used on the subscription is rejected with 400 and code 50000")
    void duplicateTrackingIdRejected() {
        KillbillClient.Response again = tenant.recordUsage(subscriptionId, "trk-1", UsageCatalog.API_CALL, TODAY, 1000);
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.body()).contains("50000");
        assertThat(tenant.usageTotals(subscriptionId, TODAY, TODAY.plusDays(1))).containsEntry(UsageCatalog.API_CALL, 1234L);
    }

    @Test
    @Order(3)
    @DisplayName("the dry-run invoice at the next billing day bills the recorded usage")
    void dryRunInvoiceBillsUsage() {
        JsonNode invoice = tenant.dryRunInvoice(accountId, TODAY.withDayOfMonth(1).plusMonths(1));

        assertThat(invoice).as("dry-run invoice").isNotNull();
        BigDecimal usage = BigDecimal.ZERO;
        for (JsonNode item : invoice.path("items")) {
            if ("USAGE".equals(item.path("itemType").asText())) {
                usage = usage.add(item.path("amount").decimalValue());
            }
        }
        BigDecimal expected = new BigDecimal(UsageCatalog.API_CALL_PRICE).multiply(BigDecimal.valueOf(1234))
                .add(new BigDecimal(UsageCatalog.GB_STORED_PRICE).multiply(BigDecimal.valueOf(7)));
        assertThat(usage).isEqualByComparingTo(expected);
        assertThat(invoice.path("amount").decimalValue()).isEqualByComparingTo(expected);
    }

    @Test
    @Order(4)
    @DisplayName("after a restart on the same database the usage is still there and new usage is accepted")
    void restartKeepsData() {
        server.restart();
        LOG.info("TIMING {}: restart {} ms", server.database(), server.startTime().toMillis());

        assertThat(tenant.usageTotals(subscriptionId, TODAY, TODAY.plusDays(1))).containsEntry(UsageCatalog.API_CALL, 1234L);
        assertThat(tenant.recordUsage(subscriptionId, "trk-4", UsageCatalog.API_CALL, TODAY, 1).status()).isEqualTo(201);
        assertThat(tenant.usageTotals(subscriptionId, TODAY, TODAY.plusDays(1))).containsEntry(UsageCatalog.API_CALL, 1235L);
    }
}
