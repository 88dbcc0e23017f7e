package io.github.meterstream.probe;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * GET status: the base-class fields. POST usage?tenantId&subscriptionId&unit&amount&trackingId&date: calls
 * UsageUserApi.recordRolledUpUsage in-process. The records are built by reflection so one probe runs on
 * api 0.53 (UsageRecord(LocalDate, Long)) and 0.54 (UsageRecord(DateTime, BigDecimal)).
 */
final class ProbeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient ProbeActivator activator;
    private final String name;

    ProbeServlet(ProbeActivator activator, String name) {
        this.activator = activator;
        this.name = name;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        resp.getWriter().println("probe " + name + " killbillAPI=" + (activator.api() != null) + " clock="
                + (activator.clockOrNull() != null));
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        try {
            String used;
            if ("plugin".equals(req.getParameter("thread"))) {
                // on the plugin's own thread: no HTTP request, no Shiro subject
                java.util.concurrent.Future<String> f = activator.pluginThread().submit(() -> record(req));
                try {
                    used = f.get(30, java.util.concurrent.TimeUnit.SECONDS) + " on thread probe-plugin-thread";
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
                }
            } else {
                used = record(req) + " on the servlet request thread";
            }
            resp.setStatus(201);
            resp.getWriter().println("recorded with " + used);
        } catch (InvocationTargetException e) {
            resp.setStatus(500);
            Throwable t = e.getTargetException();
            resp.getWriter().println("FAILED " + t);
            for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
                resp.getWriter().println("  cause " + c);
            }
        } catch (Exception | LinkageError e) {
            resp.setStatus(500);
            resp.getWriter().println("FAILED " + e);
        }
    }

    private String record(HttpServletRequest req) throws Exception {
        Object api = activator.api();
        Object usageApi = api.getClass().getMethod("getUsageUserApi").invoke(api);
        ClassLoader cl = usageApi.getClass().getClassLoader();
        Class<?> usageRecordClass = Class.forName("org.killbill.billing.usage.api.UsageRecord", true, getClass().getClassLoader());
        Class<?> unitClass = Class.forName("org.killbill.billing.usage.api.UnitUsageRecord", true, getClass().getClassLoader());
        Class<?> subClass = Class.forName("org.killbill.billing.usage.api.SubscriptionUsageRecord", true, getClass().getClassLoader());
        Class<?> ctxClass = Class.forName("org.killbill.billing.util.callcontext.CallContext", true, getClass().getClassLoader());

        String date = req.getParameter("date");
        long amount = Long.parseLong(req.getParameter("amount"));
        Object usageRecord;
        String used;
        Constructor<?> c;
        Class<?> localDate = Class.forName("org.joda.time.LocalDate", true, getClass().getClassLoader());
        try {
            c = usageRecordClass.getConstructor(localDate, Long.class);
            usageRecord = c.newInstance(localDate.getMethod("parse", String.class).invoke(null, date), amount);
            used = "UsageRecord(LocalDate, Long)";
        } catch (NoSuchMethodException e) {
            Class<?> dateTime = Class.forName("org.joda.time.DateTime", true, getClass().getClassLoader());
            c = usageRecordClass.getConstructor(dateTime, BigDecimal.class);
            usageRecord = c.newInstance(dateTime.getMethod("parse", String.class).invoke(null, date + "T00:00:00Z"),
                    BigDecimal.valueOf(amount));
            used = "UsageRecord(DateTime, BigDecimal)";
        }
        Object unit = unitClass.getConstructor(String.class, List.class).newInstance(req.getParameter("unit"),
                Collections.singletonList(usageRecord));
        Object sub = subClass.getConstructor(UUID.class, String.class, List.class).newInstance(
                UUID.fromString(req.getParameter("subscriptionId")), req.getParameter("trackingId"),
                Collections.singletonList(unit));
        UUID tenantId = UUID.fromString(req.getParameter("tenantId"));
        Object context = Proxy.newProxyInstance(ctxClass.getClassLoader(), new Class<?>[] {ctxClass},
                (proxy, m, args) -> callContext(m, tenantId));
        Method recordMethod = usageApi.getClass().getMethod("recordRolledUpUsage", subClass, ctxClass);
        recordMethod.invoke(usageApi, sub, context);
        return used + " via " + cl;
    }

    private static Object callContext(Method m, UUID tenantId) throws Exception {
        switch (m.getName()) {
            case "getTenantId":
                return tenantId;
            case "getUserToken":
                return UUID.randomUUID();
            case "getUserName":
                return "meterstream-probe";
            case "getCallOrigin":
                return enumValue(m.getReturnType(), "INTERNAL");
            case "getUserType":
                return enumValue(m.getReturnType(), "ADMIN");
            case "getCreatedDate":
            case "getUpdatedDate":
                return Class.forName("org.joda.time.DateTime", true, ProbeServlet.class.getClassLoader())
                        .getMethod("now").invoke(null);
            case "hashCode":
                return 1;
            case "equals":
                return false;
            case "toString":
                return "ProbeCallContext";
            default:
                return null;
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> type, String value) {
        return Enum.valueOf((Class) type, value);
    }
}
