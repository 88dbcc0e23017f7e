package io.github.meterstream.bench;

import java.lang.management.ManagementFactory;

/** Heap in use after full collections: {@code System.gc()} (a full GC with G1 unless disabled) three times. */
final class Heap {

    private Heap() {
    }

    static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
