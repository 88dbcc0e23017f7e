package io.github.meterstream.bench;

import java.lang.management.ManagementFactory;

/**
 * CPU time of the whole benchmark JVM over one timed consumption, per message. On a machine whose
 * cores are busy with other work, a rate moves with the neighbours' load from one minute to the
 * next; the CPU a variant spends per message hardly does, and it is what the pipeline adds (its
 * threads' work and hand-offs) that shows in the rate once cores are scarce. Includes whatever
 * else runs in the JVM meanwhile (an in-process broker serving the fetches: the same for every
 * variant on the same broker).
 */
final class ProcessCpu {

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** Set by the last timed consumption: CPU microseconds per message. */
    static volatile double lastMicrosPerMessage = Double.NaN;

    private ProcessCpu() {
    }

    static long nanos() {
        return OS.getProcessCpuTime();
    }

    static void record(long startCpuNanos, long endCpuNanos, long messages) {
        lastMicrosPerMessage = (endCpuNanos - startCpuNanos) / 1_000.0 / messages;
    }
}
