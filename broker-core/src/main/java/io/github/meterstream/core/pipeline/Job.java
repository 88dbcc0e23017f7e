package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.event.MessageEvent;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One received message on its way through the pipeline, with what its runs so far have taught:
 * how often it ran and failed, and whether an earlier run may have reached the downstream. It is
 * the {@link MessageContext} the handler sees. Only one thread at a time works on a job (its lane's
 * turn), so it needs no lock.
 */
final class Job<T> implements MessageContext {

    final InboundMessage message;
    private final MessageContract<T> contract;
    private final int inProcessAttempts;
    T decoded;
    int runs;
    /** Failures of this delivery that count toward hand-back and backoff. */
    int countedFailures;
    int unclassifiedFailures;
    boolean earlierAttemptMayHaveWritten = true;
    boolean waitingForClaim;
    Instant firstFailureAt;
    Instant lastFailureAt;
    Duration nextDelay;
    /** When the pipeline admitted it; set by {@link PipelineCounters#admitted}. */
    volatile Instant receivedAt;
    /** Why it waits before its next run, or null; read by the counters' snapshot from any thread. */
    volatile PipelineCounters.Hold hold;

    Job(InboundMessage message, MessageContract<T> contract, int inProcessAttempts) {
        this.message = message;
        this.contract = contract;
        this.inProcessAttempts = inProcessAttempts;
    }

    @Override
    public SourceCoordinates coordinates() {
        return message.coordinates();
    }

    @Override
    public int deliveryAttempt() {
        return message.deliveryAttempt();
    }

    @Override
    public int pipelineAttempt() {
        return runs;
    }

    @Override
    public Map<String, String> headers() {
        return message.headers();
    }

    @Override
    public boolean earlierAttemptMayHaveWritten() {
        return earlierAttemptMayHaveWritten;
    }

    /** The retry number across the message's whole history, earlier deliveries included. */
    int retryNumber() {
        return (Math.max(1, message.deliveryAttempt()) - 1) * inProcessAttempts + countedFailures;
    }

    String tenant() {
        return decoded == null ? null : contract.tenant(decoded);
    }

    String trackingId() {
        return decoded == null ? null : contract.trackingId(decoded);
    }

    String subject() {
        return decoded == null ? null : contract.subject(decoded);
    }

    MessageEvent event() {
        return new MessageEvent(message.coordinates(), tenant(), trackingId(), runs);
    }
}
