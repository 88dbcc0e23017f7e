package io.github.meterstream.core.failure;

import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.Settlement;
import io.github.meterstream.core.config.ConfigException;

import java.util.List;
import java.util.Optional;

/**
 * What the pipeline does with a message that failed permanently, chosen by name in configuration
 * ({@code failure-policy}). Transient failures are not in its hands: they are always retried.
 *
 * <ul>
 *   <li>{@value #DEAD_LETTER} (default): dead-letter the message with its envelope and go on with
 *       the next one. A poison message never blocks the messages behind it.</li>
 *   <li>{@value #FAIL_STOP}: leave the message unsettled, pause consumption and report the pipeline
 *       failed until it is restarted. For operators who prefer a stop to a dead-letter queue they
 *       might not watch; nothing is lost, the message is delivered again after the restart.</li>
 * </ul>
 */
public interface FailurePolicy {

    String DEAD_LETTER = "dead-letter";
    String FAIL_STOP = "fail-stop";

    /** The name this policy is chosen by. */
    String name();

    /**
     * The settlement for a permanently failed message, or empty to leave it unsettled and stop the
     * pipeline.
     */
    Optional<Settlement> onPermanentFailure(InboundMessage message, DeadLetterEnvelope envelope);

    /** The names of the built-in policies. */
    static List<String> names() {
        return List.of(DEAD_LETTER, FAIL_STOP);
    }

    /**
     * The built-in policy called {@code name}.
     *
     * @throws ConfigException naming {@code key} and the valid names when there is none
     */
    static FailurePolicy named(String key, String name) {
        if (DEAD_LETTER.equals(name)) {
            return new FailurePolicy() {
                @Override
                public String name() {
                    return DEAD_LETTER;
                }

                @Override
                public Optional<Settlement> onPermanentFailure(InboundMessage message, DeadLetterEnvelope envelope) {
                    return Optional.of(Settlement.deadLetter(envelope));
                }
            };
        }
        if (FAIL_STOP.equals(name)) {
            return new FailurePolicy() {
                @Override
                public String name() {
                    return FAIL_STOP;
                }

                @Override
                public Optional<Settlement> onPermanentFailure(InboundMessage message, DeadLetterEnvelope envelope) {
                    return Optional.empty();
                }
            };
        }
        throw new ConfigException(key, "unknown failure policy '" + name + "'; valid: " + String.join(", ", names()));
    }
}
