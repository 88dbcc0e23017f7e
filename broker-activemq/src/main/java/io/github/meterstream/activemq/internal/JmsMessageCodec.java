package io.github.meterstream.activemq.internal;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import org.apache.activemq.ScheduledMessage;
import org.apache.activemq.command.ActiveMQMessage;

import javax.jms.BytesMessage;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.Session;
import javax.jms.TextMessage;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a JMS message into payload, headers and attempt, and builds the copies that retry and
 * dead-letter send. BytesMessage and TextMessage (as UTF-8) carry the payload; any other message
 * type is delivered with an empty payload (the pipeline dead-letters it as malformed) and copied
 * whole.
 */
final class JmsMessageCodec {

    /**
     * The attempt number a retry copy carries into its next delivery. Broker redeliveries of the
     * copy add to it ({@code JMSXDeliveryCount - 1}).
     */
    static final String ATTEMPT_PROPERTY = "meterstream_attempt";
    private static final String DELIVERY_COUNT = "JMSXDeliveryCount";

    private JmsMessageCodec() {
    }

    static byte[] payload(Message m) throws JMSException {
        if (m instanceof BytesMessage) {
            BytesMessage b = (BytesMessage) m;
            b.reset();
            byte[] bytes = new byte[(int) b.getBodyLength()];
            b.readBytes(bytes);
            return bytes;
        }
        if (m instanceof TextMessage) {
            String text = ((TextMessage) m).getText();
            return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
        }
        return new byte[0];
    }

    static String text(Message m) throws JMSException {
        return m instanceof TextMessage ? ((TextMessage) m).getText() : null;
    }

    /** Application properties as strings, without JMS-defined, provider and Meterstream-internal ones. */
    static Map<String, String> headers(Message m) throws JMSException {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, Object> p : properties(m, false).entrySet()) {
            headers.put(p.getKey(), p.getValue() == null ? "" : String.valueOf(p.getValue()));
        }
        return headers;
    }

    /**
     * Properties with their types, strings decoded correctly (see {@link OpenWireStringProperties});
     * application properties only, plus the attempt property if {@code withAttempt}.
     */
    private static Map<String, Object> properties(Message m, boolean withAttempt) throws JMSException {
        Map<String, Object> props = new LinkedHashMap<>();
        Map<String, String> rawStrings = null;
        for (String name : propertyNames(m)) {
            if (isApplicationProperty(name) || (withAttempt && name.equals(ATTEMPT_PROPERTY))) {
                Object value = m.getObjectProperty(name);
                if (value instanceof String && ((String) value).indexOf('\uFFFD') >= 0 && m instanceof ActiveMQMessage) {
                    if (rawStrings == null) {
                        rawStrings = OpenWireStringProperties.of((ActiveMQMessage) m);
                    }
                    value = rawStrings.getOrDefault(name, (String) value);
                }
                props.put(name, value);
            }
        }
        return props;
    }

    /** 1 for a first delivery; the copy's carried attempt plus the broker's redeliveries otherwise. */
    static int attempt(Message m) throws JMSException {
        int base = m.propertyExists(ATTEMPT_PROPERTY) ? Math.max(1, m.getIntProperty(ATTEMPT_PROPERTY)) : 1;
        int deliveryCount = 1;
        if (m.propertyExists(DELIVERY_COUNT) || m instanceof ActiveMQMessage) {
            deliveryCount = Math.max(1, m.getIntProperty(DELIVERY_COUNT));
        }
        return base + deliveryCount - 1;
    }

    /**
     * A new message with the original body and application properties (typed as they were) plus
     * {@code extra} string properties, on {@code session}.
     */
    static Message copy(Delivery d, Session session, Map<String, String> extra) throws JMSException {
        Message copy;
        if (d.message instanceof TextMessage) {
            copy = session.createTextMessage(d.text);
        } else if (d.message instanceof BytesMessage) {
            BytesMessage b = session.createBytesMessage();
            b.writeBytes(d.payload);
            copy = b;
        } else if (d.message instanceof ActiveMQMessage) {
            ActiveMQMessage whole = (ActiveMQMessage) ((ActiveMQMessage) d.message).copy();
            whole.clearProperties();
            copy = whole;
        } else {
            BytesMessage b = session.createBytesMessage();
            b.writeBytes(d.payload);
            copy = b;
        }
        for (Map.Entry<String, Object> p : properties(d.message, true).entrySet()) {
            copy.setObjectProperty(p.getKey(), p.getValue());
        }
        for (Map.Entry<String, String> e : extra.entrySet()) {
            copy.setStringProperty(e.getKey(), e.getValue());
        }
        if (d.message.getJMSCorrelationID() != null) {
            copy.setJMSCorrelationID(d.message.getJMSCorrelationID());
        }
        if (d.message.getJMSType() != null) {
            copy.setJMSType(d.message.getJMSType());
        }
        return copy;
    }

    /**
     * A dead letter made ready to go back to its queue: its body and application properties (typed
     * as they were) without the dead-letter envelope, carrying {@code attempts} so the source keeps counting.
     */
    static Message redriveCopy(Message dead, Session session, int attempts) throws JMSException {
        Message copy;
        if (dead instanceof TextMessage) {
            copy = session.createTextMessage(((TextMessage) dead).getText());
        } else {
            BytesMessage b = session.createBytesMessage();
            b.writeBytes(payload(dead));
            copy = b;
        }
        for (Map.Entry<String, Object> p : properties(dead, false).entrySet()) {
            if (!DeadLetterEnvelope.isEnvelopeHeader(p.getKey())) {
                copy.setObjectProperty(p.getKey(), p.getValue());
            }
        }
        copy.setIntProperty(ATTEMPT_PROPERTY, attempts);
        if (dead.getJMSCorrelationID() != null) {
            copy.setJMSCorrelationID(dead.getJMSCorrelationID());
        }
        if (dead.getJMSType() != null) {
            copy.setJMSType(dead.getJMSType());
        }
        return copy;
    }

    /** Marks {@code copy} as the next attempt and asks the broker's scheduler to hold it {@code delayMs}. */
    static void prepareRetry(Message copy, int nextAttempt, long delayMs) throws JMSException {
        copy.setIntProperty(ATTEMPT_PROPERTY, nextAttempt);
        if (delayMs > 0) {
            copy.setLongProperty(ScheduledMessage.AMQ_SCHEDULED_DELAY, delayMs);
        }
    }

    private static boolean isApplicationProperty(String name) {
        return !name.startsWith("JMSX") && !name.startsWith("JMS_") && !name.startsWith("AMQ_SCHEDULED")
                && !name.startsWith("AMQ_SCHEDULER") && !name.equals(ATTEMPT_PROPERTY);
    }

    private static Iterable<String> propertyNames(Message m) throws JMSException {
        @SuppressWarnings("unchecked")
        Enumeration<String> names = (Enumeration<String>) m.getPropertyNames();
        return names == null ? Collections.emptyList() : Collections.list(names);
    }
}
