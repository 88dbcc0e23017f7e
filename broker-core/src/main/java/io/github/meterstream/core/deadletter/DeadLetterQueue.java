package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.failure.DeadLetterEnvelope;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A broker's dead-letter destination as a tool sees it: read what is there, and send messages back
 * to where they came from. An adapter opens one for a configured source through {@link
 * io.github.meterstream.core.source.BrokerSourceFactory#openDeadLetterQueue}.
 *
 * <p>A redriven message is re-published to the destination its envelope names, with the envelope's
 * attempt count carried on (where the broker's source reads it), and leaves the dead-letter
 * destination only after the broker confirmed the re-publish. A tool stopped between the two finds
 * the message still there and redrives it again; the consumer's idempotency store makes that second
 * copy a duplicate, never a second effect.
 */
public interface DeadLetterQueue extends AutoCloseable {

    /** What to do with one dead letter. */
    enum Action {
        /** Send it back to its original destination, then remove it here. */
        REDRIVE,
        /** Leave it where it is. */
        LEAVE,
        /** Leave it and end the walk. */
        STOP
    }

    /** One message in the dead-letter destination. */
    final class DeadLetter {
        private final String id;
        private final DeadLetterEnvelope envelope;
        private final byte[] payload;
        private final Map<String, String> headers;

        public DeadLetter(String id, DeadLetterEnvelope envelope, byte[] payload, Map<String, String> headers) {
            this.id = id;
            this.envelope = envelope;
            this.payload = payload;
            this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        }

        /** Where it is in the dead-letter destination (offset, message id), as the broker names it. */
        public String id() {
            return id;
        }

        /** Its envelope, or null for a message some other producer put there. */
        public DeadLetterEnvelope envelope() {
            return envelope;
        }

        public byte[] payload() {
            return payload.clone();
        }

        /** Its headers as text, the envelope's included. */
        public Map<String, String> headers() {
            return headers;
        }

        @Override
        public String toString() {
            return id + ' ' + (envelope == null ? "(no envelope)" : envelope.toString());
        }
    }

    /** The dead-letter destination, in words, for the tool's output. */
    String describe();

    /**
     * Walks the dead letters oldest first, once each, asking {@code decide} what to do with each.
     * A message without an envelope is offered too; it cannot be redriven (no destination), and a
     * {@link Action#REDRIVE} of it is an {@link IllegalStateException}.
     *
     * @return how many were redriven
     */
    int walk(Function<DeadLetter, Action> decide);

    @Override
    void close();
}
