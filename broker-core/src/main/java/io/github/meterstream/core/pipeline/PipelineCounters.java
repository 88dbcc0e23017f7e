package io.github.meterstream.core.pipeline;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pipeline's counters, read by {@link ConsumerPipeline#stats()}. Apart from the lock on
 * purpose: every message touches them from any thread, so they are adders and atomics that never
 * wait.
 */
final class PipelineCounters {

    final LongAdder received = new LongAdder();
    final LongAdder processed = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder retried = new LongAdder();
    final LongAdder deadLettered = new LongAdder();
    /** Received and not settled yet; what back-pressure bounds. */
    final AtomicInteger inFlight = new AtomicInteger();
    volatile String lastError;

    PipelineStats snapshot(String source, ConsumerPipeline.State state) {
        return new PipelineStats(source, state, received.sum(), processed.sum(), duplicates.sum(), retried.sum(),
                deadLettered.sum(), inFlight.get(), lastError);
    }
}
