package io.github.meterstream.activemq.internal;

import javax.jms.Message;
import javax.jms.Session;

/**
 * One JMS message handed to the sink: the message itself (to acknowledge it), the session it
 * belongs to (an acknowledgement is only valid on that session), and what was read from it (the
 * message body can be read once; copies for retry and dead-letter are built from these).
 */
final class Delivery {

    final Message message;
    final Session session;
    final byte[] payload;
    /** The body as text for a TextMessage, else {@code null}. */
    final String text;
    final String messageId;
    int attempt;

    Delivery(Message message, Session session, byte[] payload, String text, String messageId, int attempt) {
        this.message = message;
        this.session = session;
        this.payload = payload;
        this.text = text;
        this.messageId = messageId;
        this.attempt = attempt;
    }

    @Override
    public String toString() {
        return messageId + " (attempt " + attempt + ')';
    }
}
