package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the source reads from and writes into AMQP headers: the text form handed to the pipeline,
 * the delivery attempt, and the headers of retry and dead-letter copies.
 */
public final class MessageHeaders {

    /**
     * Delivery attempts made before this copy was published, written on every retry copy. The
     * broker's own counters restart on a copy, so this carries the count across retries.
     */
    public static final String ATTEMPT_HEADER = "meterstream_attempt";

    /** Quorum queues count earlier failed deliveries of a message in this header (RabbitMQ 3.10+). */
    static final String DELIVERY_COUNT_HEADER = "x-delivery-count";

    private MessageHeaders() {
    }

    /**
     * The delivery attempt, starting at 1: one plus the attempts before the last retry copy
     * ({@value #ATTEMPT_HEADER}), plus the broker's redeliveries of this copy: {@code x-delivery-count}
     * where the queue counts them (quorum), else one if the {@code redelivered} flag is set (a
     * classic queue only says "at least once before").
     */
    public static int deliveryAttempt(AMQP.BasicProperties properties, boolean redelivered) {
        Map<String, Object> h = properties.getHeaders();
        long earlier = h == null ? 0 : Math.max(0, number(h.get(ATTEMPT_HEADER)));
        long redeliveries;
        Object count = h == null ? null : h.get(DELIVERY_COUNT_HEADER);
        if (count != null) {
            redeliveries = Math.max(0, number(count));
        } else {
            redeliveries = redelivered ? 1 : 0;
        }
        return (int) Math.min(Integer.MAX_VALUE, 1 + earlier + redeliveries);
    }

    private static long number(Object v) {
        if (v instanceof Number) {
            return ((Number) v).longValue();
        }
        if (v instanceof LongString || v instanceof String) {
            try {
                return Long.parseLong(v.toString().trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    /** The headers as UTF-8 text, in broker order; tables and arrays (x-death) in a readable form. */
    public static Map<String, String> toText(Map<String, Object> headers) {
        if (headers == null || headers.isEmpty()) {
            return Collections.emptyMap();
        }
        Map<String, String> text = new LinkedHashMap<>();
        headers.forEach((k, v) -> text.put(k, String.valueOf(plain(v))));
        return text;
    }

    private static Object plain(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof LongString) {
            return v.toString();
        }
        if (v instanceof byte[]) {
            return new String((byte[]) v, StandardCharsets.UTF_8);
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object o : (List<?>) v) {
                out.add(plain(o));
            }
            return out;
        }
        if (v instanceof Map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) v).forEach((k, o) -> out.put(k, plain(o)));
            return out;
        }
        return v;
    }

    /**
     * Properties of a retry copy: the original properties and headers, the attempt count, and
     * without the broker's dead-letter history ({@code x-death}, {@code x-first-death-*},
     * {@code x-last-death-*}) so that no broker version mistakes the retry loop for a
     * dead-letter cycle.
     */
    public static AMQP.BasicProperties retryCopy(AMQP.BasicProperties original, int attemptsSoFar) {
        Map<String, Object> headers = original.getHeaders() == null ? new HashMap<>() : new LinkedHashMap<>(original.getHeaders());
        headers.keySet().removeIf(k -> k.equals("x-death") || k.startsWith("x-first-death-") || k.startsWith("x-last-death-")
                || k.equals(DELIVERY_COUNT_HEADER));
        headers.put(ATTEMPT_HEADER, attemptsSoFar);
        return original.builder().headers(headers).build();
    }

    /** Properties of a dead-letter copy: the original properties and headers plus the envelope headers. */
    public static AMQP.BasicProperties deadLetterCopy(AMQP.BasicProperties original, Map<String, String> envelopeHeaders) {
        Map<String, Object> headers = original.getHeaders() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(original.getHeaders());
        headers.putAll(envelopeHeaders);
        return original.builder().headers(headers).build();
    }
}
