package io.github.meterstream.core.pipeline;

/**
 * What one run of a message leaves its lane to do next: the verdict the {@link MessageProcessor}
 * and {@link FailureRouter} hand to {@link Lanes}, which alone acts on it.
 */
enum Step {
    /** Settled (acknowledged, handed back or dead-lettered): the lane moves on to its next message. */
    DONE,
    /** Run it again after {@link Job#nextDelay}; the lane waits, keeping its key's order. */
    RETRY,
    /** The circuit is open: the lane waits, parked, until a probe closes it. */
    PARK,
    /** Fail-stop: the lane keeps its unsettled message until the pipeline is restarted. */
    HALT
}
