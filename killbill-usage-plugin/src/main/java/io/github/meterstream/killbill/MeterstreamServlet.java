package io.github.meterstream.killbill;

import com.google.inject.Inject;
import io.github.meterstream.killbill.internal.CallerScope;
import io.github.meterstream.killbill.internal.HealthReport;
import io.github.meterstream.killbill.internal.MeterstreamStatus;
import org.jooby.Request;
import org.jooby.Result;
import org.jooby.Results;
import org.jooby.mvc.GET;
import org.jooby.mvc.Local;
import org.jooby.mvc.Path;
import org.killbill.billing.osgi.libs.killbill.OSGIKillbillAPI;
import org.killbill.billing.tenant.api.Tenant;

import javax.inject.Named;
import javax.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /plugins/meterstream/status}: per source its state, counters, last error and lag.
 * A tenant ({@code X-Killbill-ApiKey}/{@code X-Killbill-ApiSecret}) sees only its own counters; a Kill
 * Bill admin (Basic credentials of a user holding {@code tenant:create}) sees every tenant, or the one
 * {@code ?tenant=<id>} names; anyone else gets 401 or 403 ({@link CallerScope}).
 * {@code GET /plugins/meterstream/healthcheck}: the plugin's own, strict answer: 503 when any source is
 * DEGRADED, whatever {@code health.fail-killbill-healthcheck} says (that setting is for Kill Bill's
 * {@code /1.0/healthcheck} only). Its details are for a tenant or an admin; anyone else gets only the
 * code and {@code healthy}. docs/OPERATIONS.md describes both answers field by field.
 */
@Singleton
@Path("/")
public class MeterstreamServlet {

    private final MeterstreamStatus status;
    private final OSGIKillbillAPI killbill;

    @Inject
    public MeterstreamServlet(MeterstreamStatus status, OSGIKillbillAPI killbill) {
        this.status = status;
        this.killbill = killbill;
    }

    @GET
    @Path("/status")
    public Result status(@Local @Named("killbill_tenant") Optional<Tenant> tenant, Request request) throws Exception {
        CallerScope caller = caller(tenant, request, true);
        if (!caller.allowed()) {
            return json(caller.refusalBody(), caller.refusalStatus());
        }
        return json(status.status(caller.tenantId()), 200);
    }

    @GET
    @Path("/healthcheck")
    public Result healthcheck(@Local @Named("killbill_tenant") Optional<Tenant> tenant, Request request) throws Exception {
        HealthReport r = status.health();
        int code = r.healthy() ? 200 : 503;
        // a probe needs only the code; source names, reasons and broker details are for tenants and admins
        if (!caller(tenant, request, false).allowed()) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("healthy", r.healthy());
            return json(summary, code);
        }
        return json(r.details(), code);
    }

    private CallerScope caller(Optional<Tenant> tenant, Request request, boolean readsTenantParam) {
        boolean tenantHeaders = request.header("X-Killbill-ApiKey").isSet() || request.header("X-Killbill-ApiSecret").isSet();
        Optional<String> tenantParam = readsTenantParam ? request.param("tenant").toOptional() : Optional.empty();
        return CallerScope.resolve(tenant.map(Tenant::getId), tenantHeaders, tenantParam, killbill::getSecurityApi);
    }

    /**
     * The map itself, rendered once by the Jackson renderer PluginAppBuilder registers (a String body would be
     * rendered again, as a JSON string holding the document: seen on Kill Bill 0.22).
     */
    private static Result json(Map<String, Object> body, int code) {
        return Results.with(body, code).type("application/json");
    }
}
