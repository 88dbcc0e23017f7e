package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.source.Settlement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/**
 * The last step of every message, whatever its outcome: hands the settlement to the source and,
 * when the source has confirmed it, frees the message's in-flight slot (which may resume a source
 * paused by back-pressure) and counts where the message ended, handing a dead letter's copy to the
 * dead-letter store if there is one. One place, so that no outcome forgets a slot and every message
 * is counted in exactly one end counter.
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

    /**
     * @param outcome where the message is counted once the settlement is done. When it fails, a
     *                processed or duplicate message still counts so (its work is done; the broker's
     *                next delivery of it is a duplicate), anything else counts as released: the
     *                broker delivers it again.
     */
    void settle(Job<?> job, Settlement settlement, PipelineCounters.Outcome outcome) {
        job.message.settle(settlement).whenComplete((ok, failure) -> {
            Throwable error = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            boolean completed = outcome == PipelineCounters.Outcome.PROCESSED || outcome == PipelineCounters.Outcome.DUPLICATE;
            if (counters.settled(job, error == null || completed ? outcome : PipelineCounters.Outcome.RELEASED)) {
                lanes.inFlightChanged();
            }
            if (error == null && completed) {
                counters.recovered();
            }
            if (error != null) {
                counters.failed("settlement " + settlement + " failed for " + job.message.coordinates() + ": " + error);
                LOG.error("Settlement {} failed for {}; the source delivers the message again: {}",
                        settlement, job.message.coordinates(), error.toString());
            } else if (settlement.kind() == Settlement.Kind.DEAD_LETTER) {
                listener.tell(l -> l.onDeadLettered(job.event(), settlement.envelope()));
                if (copies != null) {
                    copies.offer(settlement.envelope(), job.message.payload(), job.subject());
                }
            }
        });
    }
}
