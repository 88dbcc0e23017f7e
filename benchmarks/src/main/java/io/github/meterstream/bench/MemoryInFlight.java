package io.github.meterstream.bench;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Benchmark 5a: retained heap per in-flight message. The in-memory source holds M messages; a
 * pipeline with max-in-flight = M and a handler that blocks takes them all in (then pauses). Heap
 * after GC with the pipeline full, minus heap after GC with the same messages still in the broker,
 * divided by M. The payload byte[] is in both measurements (the broker's stored message is what
 * the source hands over), so the figure is the pipeline's own cost per message: InboundMessage,
 * decoded UsageMessage, job, lane, the source's unsettled entry. Run for M = 1,000 and 10,000,
 * interleaved; the slope between the two cancels fixed costs (threads, validator, lanes map).
 */
final class MemoryInFlight {

    private MemoryInFlight() {
    }

    static void run(String[] args) throws Exception {
        int rounds = Report.intArg(args, "rounds", 5);
        int small = Report.intArg(args, "small", 1_000);
        int large = Report.intArg(args, "large", 10_000);
        System.out.printf("- payload size %d bytes (message 0); 1,000 subscriptions%n", UsagePayloads.payload("r1-x", 0).length);
        Report report = new Report("bytes");
        measure(small, "warm");
        for (int r = 1; r <= rounds; r++) {
            long a;
            long b;
            if (r % 2 == 0) {
                a = measure(small, "r" + r);
                b = measure(large, "r" + r);
            } else {
                b = measure(large, "r" + r);
                a = measure(small, "r" + r);
            }
            report.add("delta heap, max-in-flight=" + small, a);
            report.add("delta heap, max-in-flight=" + large, b);
            report.add("per message, max-in-flight=" + large + " (delta/M)", b / (double) large);
            report.add("per message, slope (" + large + " vs " + small + ")", (b - a) / (double) (large - small));
            report.endRound(r);
        }
        report.print(new String[][] {{"delta heap, max-in-flight=" + large, "delta heap, max-in-flight=" + small}});
    }

    /** Heap retained by the pipeline while {@code m} messages are in flight, in bytes. */
    static long measure(int m, String run) throws Exception {
        String name = "mem-" + run + "-" + m + "-" + System.nanoTime();
        InMemoryBroker broker = InMemoryBroker.named(name);
        CountDownLatch release = new CountDownLatch(1);
        MessageHandler<UsageMessage> blocked = (msg, ctx) -> {
            release.await();
            return MessageHandler.Outcome.PROCESSED;
        };
        for (int i = 0; i < m; i++) {
            broker.publish("usage", UsagePayloads.payload(name, i), Map.of());
        }
        ConsumerPipeline<UsageMessage> pipeline = ConsumerPipeline.builder(new UsageMessageContract())
                .source(new InMemoryBrokerSource(name, broker, "usage"))
                .config(PipelineConfig.builder().maxInFlight(m).build())
                .handler(blocked)
                .build();
        try {
            long before = Heap.usedAfterGc();
            pipeline.start();
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (pipeline.stats().inFlight() < m) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pipeline did not fill: " + pipeline.stats());
                }
                Thread.sleep(5);
            }
            long after = Heap.usedAfterGc();
            if (broker.depth("usage") != 0 || pipeline.state() != ConsumerPipeline.State.BACKPRESSURE) {
                throw new IllegalStateException("expected all " + m + " in flight: " + pipeline.stats());
            }
            return after - before;
        } finally {
            release.countDown();
            pipeline.close(Duration.ofSeconds(5));
            broker.close();
        }
    }
}
