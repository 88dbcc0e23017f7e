package io.github.meterstream.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A small Kill Bill REST client (java.net.http) for the admin calls end-to-end tests need. Every call
 * authenticates as the user it was made with (the admin, for {@code KillbillServer.adminClient()});
 * {@link #forTenant} returns a client that also sends a tenant's
 * {@code X-Killbill-ApiKey}/{@code X-Killbill-ApiSecret}. {@link #anonymous} sends no Basic credentials
 * (its {@code forTenant} then sends the tenant headers alone), to test what a plugin shows such callers. Failed calls throw {@link KillbillException}
 * with the status and body, except the usage calls, which return the {@link Response} so tests can
 * assert on rejections (a duplicate trackingId is a 400).
 */
public final class KillbillClient {

    /** Status and body of a call whose outcome the test wants to inspect. */
    public static final class Response {
        private final int status;
        private final String body;
        private final String location;

        Response(int status, String body, String location) {
            this.status = status;
            this.body = body;
            this.location = location;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }

        public String location() {
            return location;
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /** A call answered with an unexpected status. */
    public static final class KillbillException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        KillbillException(String call, int status, String body) {
            super(call + " -> " + status + ": " + body);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CREATED_BY = "meterstream-e2e";

    private final URI base;
    private final String basicAuth;
    private final String apiKey;
    private final String apiSecret;
    private final HttpClient http;

    public KillbillClient(URI base, String user, String password) {
        this(base, "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)),
                null, null, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }

    private KillbillClient(URI base, String basicAuth, String apiKey, String apiSecret, HttpClient http) {
        this.base = base;
        this.basicAuth = basicAuth;
        this.apiKey = apiKey;
        this.apiSecret = apiSecret;
        this.http = http;
    }

    /** A client that sends no {@code Authorization} header. */
    public static KillbillClient anonymous(URI base) {
        return new KillbillClient(base, null, null, null, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }

    /** The same client (same user, or none), acting on the tenant with these credentials. */
    public KillbillClient forTenant(String tenantApiKey, String tenantApiSecret) {
        return new KillbillClient(base, basicAuth, Objects.requireNonNull(tenantApiKey), Objects.requireNonNull(tenantApiSecret),
                http);
    }

    public URI baseUri() {
        return base;
    }

    // ------------------------------------------------------------------------------------ server & tenant

    public boolean isHealthy() {
        try {
            return send(request("/1.0/healthcheck").GET()).statusCode() == 200;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** Creates a tenant and returns its id. */
    public UUID createTenant(String tenantApiKey, String tenantApiSecret, String externalKey) {
        ObjectNode body = JSON.createObjectNode().put("apiKey", tenantApiKey).put("apiSecret", tenantApiSecret)
                .put("externalKey", externalKey);
        return createdId("create tenant", post("/1.0/kb/tenants", body));
    }

    /** Uploads a catalog version (XML) to the current tenant. */
    public void uploadCatalog(String catalogXml) {
        expect("upload catalog", send(request("/1.0/kb/catalog/xml").header("Content-Type", "text/xml")
                .POST(HttpRequest.BodyPublishers.ofString(catalogXml))), 201);
    }

    /** Stores the per-tenant plugin configuration (as {@code PLUGIN_CONFIG_<pluginName>}). */
    public void uploadPluginConfig(String pluginName, String config) {
        expect("upload plugin config", send(request("/1.0/kb/tenants/uploadPluginConfig/" + enc(pluginName))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(config))), 201);
    }

    /** The per-tenant plugin configuration as stored, or null when there is none. */
    public String pluginConfig(String pluginName) {
        HttpResponse<String> r = send(request("/1.0/kb/tenants/uploadPluginConfig/" + enc(pluginName)).GET());
        expect("get plugin config", r, 200);
        JsonNode values = readTree(r.body()).path("values");
        return values.isArray() && values.size() > 0 ? values.get(0).asText() : null;
    }

    /** Defines a role ({@code POST /1.0/kb/security/roles}) with these permissions, e.g. {@code account:*}. */
    public void createRole(String role, List<String> permissions) {
        ObjectNode body = JSON.createObjectNode().put("role", role);
        permissions.forEach(body.putArray("permissions")::add);
        expect("create role", post("/1.0/kb/security/roles", body), 201);
    }

    /** Creates a Kill Bill user ({@code POST /1.0/kb/security/users}) with these roles. */
    public void createUser(String username, String password, List<String> roles) {
        ObjectNode body = JSON.createObjectNode().put("username", username).put("password", password);
        roles.forEach(body.putArray("roles")::add);
        expect("create user", post("/1.0/kb/security/users", body), 201);
    }

    // ---------------------------------------------------------------------------- account & subscription

    public UUID createAccount(String externalKey, String currency, int billCycleDay) {
        ObjectNode body = JSON.createObjectNode().put("name", "E2E " + externalKey).put("externalKey", externalKey)
                .put("currency", currency).put("billCycleDayLocal", billCycleDay);
        return createdId("create account", post("/1.0/kb/accounts", body));
    }

    public UUID createSubscription(UUID accountId, String externalKey, String planName) {
        ObjectNode body = JSON.createObjectNode().put("accountId", accountId.toString()).put("externalKey", externalKey)
                .put("planName", planName);
        return createdId("create subscription", post("/1.0/kb/subscriptions", body));
    }

    /**
     * Changes a subscription's plan ({@code PUT /1.0/kb/subscriptions/{id}}), effective now unless the catalog's
     * change policy says otherwise; waits for Kill Bill to complete it ({@code callCompletion}).
     */
    public void changePlan(UUID subscriptionId, String planName) {
        ObjectNode body = JSON.createObjectNode().put("subscriptionId", subscriptionId.toString()).put("planName", planName);
        HttpResponse<String> r = send(request("/1.0/kb/subscriptions/" + subscriptionId + "?callCompletion=true")
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body.toString())));
        expect("change plan", r, 200, 201, 204);
    }

    public JsonNode subscription(UUID subscriptionId) {
        return getJson("get subscription", "/1.0/kb/subscriptions/" + subscriptionId);
    }

    // ------------------------------------------------------------------------------------------- usage

    /** Records one usage record (one unit, one date) over REST; returns the raw response (201 when stored). */
    public Response recordUsage(UUID subscriptionId, String trackingId, String unitType, LocalDate date, long amount) {
        ObjectNode body = JSON.createObjectNode().put("subscriptionId", subscriptionId.toString()).put("trackingId", trackingId);
        ObjectNode unit = body.putArray("unitUsageRecords").addObject().put("unitType", unitType);
        unit.putArray("usageRecords").addObject().put("recordDate", date.toString()).put("amount", amount);
        HttpResponse<String> r = post("/1.0/kb/usages", body);
        return new Response(r.statusCode(), r.body(), r.headers().firstValue("Location").orElse(null));
    }

    /** {@code GET /1.0/kb/usages/{subscriptionId}?startDate&endDate} (end exclusive), rolled up per unit. */
    public JsonNode usage(UUID subscriptionId, LocalDate startDate, LocalDate endDate) {
        return getJson("get usage", "/1.0/kb/usages/" + subscriptionId + "?startDate=" + startDate + "&endDate=" + endDate);
    }

    /** Total amount per unit type in {@link #usage}'s answer. */
    public Map<String, Long> usageTotals(UUID subscriptionId, LocalDate startDate, LocalDate endDate) {
        Map<String, Long> totals = new LinkedHashMap<>();
        for (JsonNode unit : usage(subscriptionId, startDate, endDate).path("rolledUpUnits")) {
            totals.merge(unit.path("unitType").asText(), unit.path("amount").asLong(), Long::sum);
        }
        return totals;
    }

    // ---------------------------------------------------------------------------------------- invoices

    /** A dry-run invoice as of {@code targetDate}; null when nothing would be invoiced (204). */
    public JsonNode dryRunInvoice(UUID accountId, LocalDate targetDate) {
        ObjectNode body = JSON.createObjectNode().put("dryRunType", "TARGET_DATE");
        HttpResponse<String> r = post("/1.0/kb/invoices/dryRun?accountId=" + accountId + "&targetDate=" + targetDate, body);
        if (r.statusCode() == 204) {
            return null;
        }
        expect("dry-run invoice", r, 200);
        return readTree(r.body());
    }

    // ------------------------------------------------------------------------------- test clock (test mode)

    /**
     * Sets Kill Bill's clock ({@code POST /1.0/kb/test/clock}, only with {@code org.killbill.server.test.mode=true},
     * which {@link KillbillServer} sets): one clock for the whole server, which keeps running from there. Waits up
     * to {@code timeoutSec} for the notifications and bus events now due of this client's tenant; returns the
     * server's answer ({@code currentUtcTime}, {@code localDate}).
     */
    public JsonNode setClock(java.time.Instant at, int timeoutSec) {
        HttpResponse<String> r = send(request("/1.0/kb/test/clock?requestedDate=" + enc(at.toString()) + "&timeoutSec=" + timeoutSec)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()));
        expect("set test clock", r, 200);
        return readTree(r.body());
    }

    /** Kill Bill's clock as it answers {@code GET /1.0/kb/test/clock}. */
    public JsonNode clock() {
        return getJson("get test clock", "/1.0/kb/test/clock");
    }

    /** Waits up to {@code timeoutSec} for this tenant's due notifications and bus events ({@code GET /1.0/kb/test/queues}). */
    public void awaitQueues(int timeoutSec) {
        HttpResponse<String> r = send(request("/1.0/kb/test/queues?timeoutSec=" + timeoutSec).GET());
        expect("wait for queues", r, 200, 204);
    }

    // ----------------------------------------------------------------------------------------- plugins

    public JsonNode nodesInfo() {
        return getJson("nodes info", "/1.0/kb/nodesInfo");
    }

    /** The plugin's state on this node as Kill Bill reports it (for example RUNNING, STOPPED), or null. */
    public String pluginState(String pluginName) {
        for (JsonNode node : nodesInfo()) {
            for (JsonNode plugin : node.path("pluginsInfo")) {
                if (pluginName.equals(plugin.path("pluginName").asText())) {
                    return plugin.path("state").asText(null);
                }
            }
        }
        return null;
    }

    /** Asks every node to start a plugin that is installed; asynchronous (poll {@link #pluginState}). */
    public void startPlugin(String pluginName, String pluginVersion) {
        nodeCommand("START_PLUGIN", pluginName, pluginVersion);
    }

    public void stopPlugin(String pluginName, String pluginVersion) {
        nodeCommand("STOP_PLUGIN", pluginName, pluginVersion);
    }

    private void nodeCommand(String command, String pluginName, String pluginVersion) {
        ObjectNode body = JSON.createObjectNode().put("isSystemCommandType", true).put("nodeCommandType", command);
        ArrayNode props = body.putArray("nodeCommandProperties");
        props.addObject().put("key", "pluginName").put("value", pluginName);
        if (pluginVersion != null) {
            props.addObject().put("key", "pluginVersion").put("value", pluginVersion);
        }
        expect(command + " " + pluginName, post("/1.0/kb/nodesInfo", body), 201, 202);
    }

    /** GET on a plugin's servlet ({@code /plugins/<name>/<path>}); returns the raw response. */
    public Response pluginGet(String pluginName, String path) {
        HttpResponse<String> r = send(request("/plugins/" + pluginName + "/" + path).GET());
        return new Response(r.statusCode(), r.body(), null);
    }

    /** POST (a placeholder text body) on a plugin's servlet, {@code pathAndQuery} relative to {@code /plugins/<name>/}. */
    public Response pluginPost(String pluginName, String pathAndQuery) {
        HttpResponse<String> r = send(request("/plugins/" + pluginName + "/" + pathAndQuery)
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("-")));
        return new Response(r.statusCode(), r.body(), null);
    }

    // ---------------------------------------------------------------------------------------- plumbing

    private HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(60))
                .header("X-Killbill-CreatedBy", CREATED_BY).header("Accept", "application/json");
        if (basicAuth != null) {
            b.header("Authorization", basicAuth);
        }
        if (apiKey != null) {
            b.header("X-Killbill-ApiKey", apiKey).header("X-Killbill-ApiSecret", apiSecret);
        }
        return b;
    }

    private HttpResponse<String> post(String pathAndQuery, JsonNode body) {
        return send(request(pathAndQuery).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    private JsonNode getJson(String call, String pathAndQuery) {
        HttpResponse<String> r = send(request(pathAndQuery).GET());
        expect(call, r, 200);
        return readTree(r.body());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("Kill Bill at " + base + " unreachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void expect(String call, HttpResponse<String> r, Integer... okStatuses) {
        if (!List.of(okStatuses).contains(r.statusCode())) {
            throw new KillbillException(call, r.statusCode(), r.body());
        }
    }

    private static UUID createdId(String call, HttpResponse<String> r) {
        expect(call, r, 201);
        String location = r.headers().firstValue("Location")
                .orElseThrow(() -> new KillbillException(call + " (no Location header)", r.statusCode(), r.body()));
        return UUID.fromString(location.substring(location.lastIndexOf('/') + 1));
    }

    private static JsonNode readTree(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
