package io.github.meterstream.killbill.internal;

/**
 * Where per-source counters go. In the bundle: Kill Bill's metric registry (its API differs between
 * Kill Bill lines, so only the activator touches it). Names look like {@code meterstream.usage.recorded}.
 */
@FunctionalInterface
public interface MetricsSink {

    MetricsSink NONE = name -> { };

    void increment(String name);
}
