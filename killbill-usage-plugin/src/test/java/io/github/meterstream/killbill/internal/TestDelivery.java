package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.MessageContext;
import io.github.meterstream.core.source.SourceCoordinates;

import java.util.Map;

/** A delivery as the pipeline describes it to the handler, for recorder tests. */
final class TestDelivery implements MessageContext {

    /** A first attempt whose idempotency claim was fresh. */
    static final TestDelivery FRESH = new TestDelivery(false);
    /** An attempt that took over an earlier claim (or a message without key). */
    static final TestDelivery TAKEN_OVER = new TestDelivery(true);

    private final boolean earlierAttemptMayHaveWritten;

    private TestDelivery(boolean earlierAttemptMayHaveWritten) {
        this.earlierAttemptMayHaveWritten = earlierAttemptMayHaveWritten;
    }

    @Override
    public SourceCoordinates coordinates() {
        return SourceCoordinates.of("usage", "usage", "1");
    }

    @Override
    public int deliveryAttempt() {
        return 1;
    }

    @Override
    public int pipelineAttempt() {
        return 1;
    }

    @Override
    public Map<String, String> headers() {
        return Map.of();
    }

    @Override
    public boolean earlierAttemptMayHaveWritten() {
        return earlierAttemptMayHaveWritten;
    }
}
