package io.github.meterstream.killbill.internal;

import java.util.function.Supplier;

/**
 * Where per-source metrics go. In the bundle: Kill Bill's metric registry (its API differs between
 * Kill Bill lines, so only the activator touches it). Names look like {@code meterstream.usage.recorded}.
 */
@FunctionalInterface
public interface MetricsSink {

    MetricsSink NONE = name -> { };

    /** Adds one to counter {@code name}. */
    void increment(String name);

    /** Registers gauge {@code name}, read from {@code value} whenever the registry is read; replaces one of that name. */
    default void gauge(String name, Supplier<? extends Number> value) {
    }

    /** Removes metric {@code name} (a gauge of a runtime that stopped must not keep it reachable). */
    default void remove(String name) {
    }
}
