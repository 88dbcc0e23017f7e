package io.github.meterstream.killbill;

import com.google.inject.Inject;
import io.github.meterstream.killbill.internal.MeterstreamStatus;
import org.jooby.Request;
import org.jooby.Result;
import org.jooby.Results;
import org.jooby.mvc.GET;
import org.jooby.mvc.Local;
import org.jooby.mvc.Path;
import org.killbill.billing.tenant.api.Tenant;

import javax.inject.Named;
import javax.inject.Singleton;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /plugins/meterstream/status}: per source its state, counters, last error and lag.
 * With a tenant context (the {@code X-Killbill-ApiKey}/{@code X-Killbill-ApiSecret} headers) the
 * answer shows only that tenant's counters; {@code ?tenant=<id>} asks for that view without them.
 * {@code GET /plugins/meterstream/healthcheck}: the plugin's own, strict answer: 503 when any source is
 * DEGRADED, whatever {@code health.fail-killbill-healthcheck} says (that setting is for Kill Bill's
 * {@code /1.0/healthcheck} only). docs/OPERATIONS.md describes both answers field by field.
 */
@Singleton
@Path("/")
public class MeterstreamServlet {


    private final MeterstreamStatus status;

    @Inject
    public MeterstreamServlet(MeterstreamStatus status) {
        this.status = status;
    }

    @GET
    @Path("/status")
    public Result status(@Local @Named("killbill_tenant") Optional<Tenant> tenant, Request request) throws Exception {
        String tenantId = tenant.map(t -> t.getId().toString()).orElse(request.param("tenant").toOptional().orElse(null));
        return json(status.status(tenantId), 200);
    }

    @GET
    @Path("/healthcheck")
    public Result healthcheck() throws Exception {
        io.github.meterstream.killbill.internal.HealthReport r = status.health();
        return json(r.details(), r.healthy() ? 200 : 503);
    }

    /**
     * The map itself, rendered once by the Jackson renderer PluginAppBuilder registers (a String body would be
     * rendered again, as a JSON string holding the document: seen on Kill Bill 0.22).
     */
    private static Result json(Map<String, Object> body, int code) {
        return Results.with(body, code).type("application/json");
    }
}
