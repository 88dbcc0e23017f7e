package io.github.meterstream.activemq.internal;

import javax.jms.Message;
import javax.jms.Session;

/**
 * One JMS message handed to the sink: the message itself (to acknowledge it), the session and the
 * worker it belongs to (an acknowledgement is only valid on that session, from that worker's
 * thread), and what was read from it (the body can be read once; copies for retry and dead-letter
 * are built from these).
 */
public final class Delivery {

    final Message message;
    final Session session;
    final ConsumerWorker worker;
    final byte[] payload;
    /** The body as text for a TextMessage, else {@code null}. */
    final String text;
    final String messageId;
    final int attempt;

    Delivery(Message message, Session session, ConsumerWorker worker, byte[] payload, String text, String messageId, int attempt) {
        this.message = message;
        this.session = session;
        this.worker = worker;
        this.payload = payload;
        this.text = text;
        this.messageId = messageId;
        this.attempt = attempt;
    }

    /** The worker whose thread may settle this delivery. */
    public ConsumerWorker worker() {
        return worker;
    }

    @Override
    public String toString() {
        return messageId + " (attempt " + attempt + ')';
    }
}
