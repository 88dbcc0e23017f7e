package io.github.meterstream.core.rollup;

/**
 * Where a roll-up goes. Called at least once per roll-up, with the same {@link Rollup#id()} every
 * time: after a crash, or a failure whose call did land, the same roll-up is sent again, and the
 * sink must recognise it (Kill Bill: the tracking id). Never called for one roll-up by two nodes at
 * once. Throwing leaves the roll-up pending; it is sent again at the next flush.
 */
@FunctionalInterface
public interface RollupSink {
    void send(Rollup rollup) throws Exception;
}
