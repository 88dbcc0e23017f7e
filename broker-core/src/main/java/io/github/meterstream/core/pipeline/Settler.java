package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.source.Settlement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/**
 * The last step of every message, whatever its outcome: hands the settlement to the source and,
 * when the source has confirmed it, frees the message's in-flight slot (which may resume a source
 * paused by back-pressure) and counts a dead letter, handing its copy to the dead-letter store if
 * there is one. One place, so that no outcome forgets a slot.
 */
final class Settler {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);

    private final PipelineCounters counters;
    private final Lanes<?> lanes;
    private final SafeListener listener;
    private final DeadLetterCopies copies;

    /** @param copies where a copy of each confirmed dead letter goes, or null for none */
    Settler(PipelineCounters counters, Lanes<?> lanes, SafeListener listener, DeadLetterCopies copies) {
        this.counters = counters;
        this.lanes = lanes;
        this.listener = listener;
        this.copies = copies;
    }

    void settle(Job<?> job, Settlement settlement) {
        job.message.settle(settlement).whenComplete((ok, failure) -> {
            counters.inFlight.decrementAndGet();
            lanes.inFlightChanged(counters);
            Throwable error = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (error != null) {
                counters.lastError = "settlement " + settlement + " failed for " + job.message.coordinates() + ": " + error;
                LOG.error("Settlement {} failed for {}; the source delivers the message again: {}",
                        settlement, job.message.coordinates(), error.toString());
            } else if (settlement.kind() == Settlement.Kind.DEAD_LETTER) {
                counters.deadLettered.increment();
                listener.tell(l -> l.onDeadLettered(job.event(), settlement.envelope()));
                if (copies != null) {
                    copies.offer(settlement.envelope(), job.message.payload(), job.subject());
                }
            }
        });
    }
}
