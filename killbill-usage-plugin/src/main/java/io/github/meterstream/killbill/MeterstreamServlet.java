package io.github.meterstream.killbill;

import com.google.inject.Inject;
import io.github.meterstream.killbill.internal.CallerScope;
import io.github.meterstream.killbill.internal.HealthReport;
import io.github.meterstream.killbill.internal.MeterstreamStatus;
import io.github.meterstream.killbill.internal.RejectionsApi;
import org.jooby.Request;
import org.jooby.Result;
import org.jooby.Results;
import org.jooby.mvc.GET;
import org.jooby.mvc.POST;
import org.jooby.mvc.Local;
import org.jooby.mvc.Path;
import org.killbill.billing.osgi.libs.killbill.OSGIKillbillAPI;
import org.killbill.billing.tenant.api.Tenant;

import javax.inject.Named;
import javax.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
 * {@code /plugins/meterstream/rejections...}: the rejected usage kept in Kill Bill's database, by the
 * same rules: a tenant sees only its own rows ({@link RejectionsApi}).
 */
@Singleton
@Path("/")
public class MeterstreamServlet {

    private final MeterstreamStatus status;
    private final RejectionsApi rejections;
    private final OSGIKillbillAPI killbill;

    @Inject
    public MeterstreamServlet(MeterstreamStatus status, RejectionsApi rejections, OSGIKillbillAPI killbill) {
        this.status = status;
        this.rejections = rejections;
        this.killbill = killbill;
    }

    @GET
    @Path("/rejections")
    public Result rejections(@Local @Named("killbill_tenant") Optional<Tenant> tenant, Request request) throws Exception {
        CallerScope caller = caller(tenant, request, true);
        if (!caller.allowed()) {
            return json(caller.refusalBody(), caller.refusalStatus());
        }
        return answer(rejections.list(caller.tenantId(), name -> request.param(name).toOptional()));
    }

    /** {@code counts}, or one rejection by its id (one route: "counts" is never an id, ids being hex). */
    @GET
    @Path("/rejections/:id")
    public Result rejection(@Local @Named("killbill_tenant") Optional<Tenant> tenant, Request request) throws Exception {
        CallerScope caller = caller(tenant, request, true);
        if (!caller.allowed()) {
            return json(caller.refusalBody(), caller.refusalStatus());
        }
        String id = request.param("id").value();
        if ("counts".equals(id)) {
            return answer(rejections.counts(caller.tenantId(), name -> request.param(name).toOptional()));
        }
        return answer(rejections.one(caller.tenantId(), id));
    }

    @POST
    @Path("/rejections/:id/discard")
    public Result discard(@Local @Named("killbill_tenant") Optional<Tenant> tenant, Request request) throws Exception {
        CallerScope caller = caller(tenant, request, true);
        if (!caller.allowed()) {
            return json(caller.refusalBody(), caller.refusalStatus());
        }
        String who = tenant.isPresent() ? "tenant " + caller.tenantId() : "admin " + basicUser(request);
        return answer(rejections.discard(caller.tenantId(), request.param("id").value(), who));
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

    /** The Basic user name Kill Bill authenticated for this admin request (it checked the password). */
    private static String basicUser(Request request) {
        String header = request.header("Authorization").toOptional().orElse("");
        if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return "unknown";
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? decoded : decoded.substring(0, colon);
        } catch (IllegalArgumentException e) {
            return "unknown";
        }
    }

    private static Result answer(RejectionsApi.Answer a) {
        return json(a.body(), a.code());
    }

    /**
     * The map itself, rendered once by the Jackson renderer PluginAppBuilder registers (a String body would be
     * rendered again, as a JSON string holding the document: seen on Kill Bill 0.22).
     */
    private static Result json(Map<String, Object> body, int code) {
        return Results.with(body, code).type("application/json");
    }
}
