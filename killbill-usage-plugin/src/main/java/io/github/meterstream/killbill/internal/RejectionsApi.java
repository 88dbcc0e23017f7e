package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.deadletter.DeadLetterStore;
import io.github.meterstream.core.deadletter.RejectionQuery;
import io.github.meterstream.core.deadletter.StoredRejection;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The answers of {@code /plugins/meterstream/rejections...}, for a caller {@link CallerScope} already
 * let in: {@code scope} is the tenant id whose rows the caller may see, or null for an admin's view of
 * every tenant. A tenant never learns whether another tenant's entry exists: it is 404 like an absent
 * one. The servlet only renders; everything else is here, so that it can be tested without Kill Bill.
 */
public final class RejectionsApi {

    /** A status code and a JSON body. */
    public static final class Answer {
        private final int code;
        private final Map<String, Object> body;

        Answer(int code, Map<String, Object> body) {
            this.code = code;
            this.body = body;
        }

        public int code() {
            return code;
        }

        public Map<String, Object> body() {
            return body;
        }
    }

    private final Supplier<DeadLetterStore> store;

    /** @param store the running plugin's rejections store, or null while it has none (not configured, not started) */
    public RejectionsApi(Supplier<DeadLetterStore> store) {
        this.store = store;
    }

    /** {@code GET /rejections}: one page, most recently seen first, without payloads. */
    public Answer list(String scope, Function<String, Optional<String>> params) {
        return withStore(s -> {
            RejectionQuery q = query(scope, params);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (StoredRejection r : s.list(q)) {
                rows.add(row(r, false));
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("offset", q.offset());
            body.put("limit", q.limit());
            body.put("rejections", rows);
            return new Answer(200, body);
        });
    }

    /** {@code GET /rejections/counts}: entries matching the filters per reason code and per UTC day last seen. */
    public Answer counts(String scope, Function<String, Optional<String>> params) {
        return withStore(s -> {
            RejectionQuery q = query(scope, params);
            Map<String, Object> perDay = new LinkedHashMap<>();
            for (Map.Entry<LocalDate, Long> e : s.countByDay(q).entrySet()) {
                perDay.put(e.getKey().toString(), e.getValue());
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("byReason", new LinkedHashMap<>(s.countByReason(q)));
            body.put("byDay", perDay);
            return new Answer(200, body);
        });
    }

    /** {@code GET /rejections/{id}}: one entry, payload as UTF-8 text. */
    public Answer one(String scope, String id) {
        return withStore(s -> visible(s, scope, id).map(r -> new Answer(200, row(r, true))).orElseGet(() -> notFound(id)));
    }

    /** {@code POST /rejections/{id}/discard}: kept as DISCARDED, by {@code who}. */
    public Answer discard(String scope, String id, String who) {
        return withStore(s -> {
            if (visible(s, scope, id).isEmpty() || !s.discard(id, who)) {
                return notFound(id);
            }
            return s.find(id).map(r -> new Answer(200, row(r, false))).orElseGet(() -> notFound(id));
        });
    }

    private Answer withStore(Function<DeadLetterStore, Answer> route) {
        DeadLetterStore s = store.get();
        if (s == null) {
            return error(503, "no rejections store: the plugin is not running (see /plugins/meterstream/healthcheck)");
        }
        try {
            return route.apply(s);
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        } catch (IllegalStateException e) {
            return error(503, "rejections store unavailable: " + e.getMessage());
        }
    }

    private static Optional<StoredRejection> visible(DeadLetterStore s, String scope, String id) {
        return s.find(id).filter(r -> scope == null || scope.equalsIgnoreCase(r.tenant()));
    }

    /** The filters a caller asked for, bounded to {@code scope} when it is a tenant's. */
    static RejectionQuery query(String scope, Function<String, Optional<String>> params) {
        RejectionQuery.Builder b = RejectionQuery.builder()
                .reasonCode(params.apply("reason").orElse(null))
                .subject(params.apply("subject").orElse(null))
                .source(params.apply("source").orElse(null))
                .state(params.apply("state").map(RejectionsApi::state).orElse(null))
                .seenFrom(params.apply("from").map(v -> instant("from", v)).orElse(null))
                .seenBefore(params.apply("to").map(v -> instant("to", v)).orElse(null))
                .page(params.apply("offset").map(v -> integer("offset", v)).orElse(0),
                        params.apply("limit").map(v -> integer("limit", v)).orElse(100));
        RejectionQuery q = b.build();
        return scope == null ? q : q.forTenant(scope);
    }

    private static StoredRejection.State state(String v) {
        try {
            return StoredRejection.State.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("state must be one of REJECTED, DISCARDED, REPLAYED, was '" + v + "'");
        }
    }

    private static Instant instant(String name, String v) {
        try {
            return Instant.parse(v.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be an ISO-8601 instant such as 2026-01-31T00:00:00Z, was '" + v + "'");
        }
    }

    private static int integer(String name, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, was '" + v + "'");
        }
    }

    private static Map<String, Object> row(StoredRejection r, boolean withPayload) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("tenant", r.tenant());
        m.put("reasonCode", r.reasonCode());
        m.put("reason", r.reason());
        m.put("trackingId", r.trackingId());
        m.put("subject", r.subject());
        m.put("source", r.source());
        m.put("destination", r.destination());
        m.put("partition", r.partition());
        m.put("position", r.position());
        m.put("attempts", r.attempts());
        m.put("firstSeen", text(r.firstSeen()));
        m.put("lastSeen", text(r.lastSeen()));
        m.put("timesSeen", r.timesSeen());
        m.put("state", r.state() == null ? null : r.state().name());
        m.put("stateAt", text(r.stateAt()));
        m.put("stateBy", r.stateBy());
        m.put("payloadLength", r.payloadLength());
        if (withPayload) {
            byte[] payload = r.payload();
            m.put("payload", payload == null ? null : new String(payload, StandardCharsets.UTF_8));
            m.put("payloadTruncated", r.payloadTruncated());
        }
        return m;
    }

    private static String text(Instant at) {
        return at == null ? null : at.toString();
    }

    private static Answer notFound(String id) {
        return error(404, "no rejection " + id);
    }

    private static Answer error(int code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        return new Answer(code, body);
    }
}
