package io.github.meterstream.core.pipeline;

/** A snapshot of a pipeline's counters and state, for status pages and tests. */
public final class PipelineStats {

    private final String source;
    private final ConsumerPipeline.State state;
    private final long received;
    private final long processed;
    private final long duplicates;
    private final long retried;
    private final long deadLettered;
    private final int inFlight;
    private final String lastError;

    PipelineStats(String source, ConsumerPipeline.State state, long received, long processed, long duplicates,
                  long retried, long deadLettered, int inFlight, String lastError) {
        this.source = source;
        this.state = state;
        this.received = received;
        this.processed = processed;
        this.duplicates = duplicates;
        this.retried = retried;
        this.deadLettered = deadLettered;
        this.inFlight = inFlight;
        this.lastError = lastError;
    }

    public String source() {
        return source;
    }

    public ConsumerPipeline.State state() {
        return state;
    }

    public long received() {
        return received;
    }

    public long processed() {
        return processed;
    }

    public long duplicates() {
        return duplicates;
    }

    /** Transient failures that were scheduled for another try. */
    public long retried() {
        return retried;
    }

    public long deadLettered() {
        return deadLettered;
    }

    /** Messages received and not settled yet. */
    public int inFlight() {
        return inFlight;
    }

    /** The last failure seen, in words, or {@code null}. */
    public String lastError() {
        return lastError;
    }

    @Override
    public String toString() {
        return source + ' ' + state + ": received=" + received + " processed=" + processed + " duplicates=" + duplicates
                + " retried=" + retried + " deadLettered=" + deadLettered + " inFlight=" + inFlight
                + (lastError == null ? "" : " lastError=" + lastError);
    }
}
