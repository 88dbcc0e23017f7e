package io.github.meterstream.bench;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.pipeline.PipelineStats;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.idempotency.IdempotencyStore;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Meterstream consuming {@code n} pre-published usage messages: the whole pipeline (decode, Bean
 * Validation, idempotency claim/complete, handler, settlement). Timed from the first message received
 * to the last one settled (its settle stage complete, i.e. confirmed as the source defines it).
 */
final class MeterstreamRun {

    static final MessageHandler<UsageMessage> NO_OP = (m, ctx) -> MessageHandler.Outcome.PROCESSED;

    private MeterstreamRun() {
    }

    /** Messages per second. */
    static double consume(BrokerSource source, int n, PipelineConfig config, IdempotencyStore store,
                          MessageHandler<UsageMessage> handler, Duration timeout) throws InterruptedException {
        AtomicLong firstReceived = new AtomicLong();
        AtomicLong firstReceivedCpu = new AtomicLong();
        PipelineListener listener = new PipelineListener() {
            @Override
            public void onReceived(SourceCoordinates coordinates) {
                if (firstReceived.get() == 0) {
                    long cpu = ProcessCpu.nanos();
                    if (firstReceived.compareAndSet(0, System.nanoTime())) {
                        firstReceivedCpu.set(cpu);
                    }
                }
            }
        };
        ConsumerPipeline<UsageMessage> pipeline = ConsumerPipeline.builder(new UsageMessageContract())
                .source(source)
                .idempotencyStore(store == null ? new InMemoryIdempotencyStore() : store)
                .config(config)
                .listener(listener)
                .handler(handler == null ? NO_OP : handler)
                .build();
        long end;
        try {
            pipeline.start();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                PipelineStats s = pipeline.stats();
                if (s.deadLettered() > 0 || s.retried() > 0) {
                    throw new IllegalStateException("benchmark messages failed: " + s);
                }
                if (s.processed() + s.duplicates() >= n && s.oldestUnsettledSince() == null) {
                    end = System.nanoTime();
                    ProcessCpu.record(firstReceivedCpu.get(), ProcessCpu.nanos(), n);
                    if (s.duplicates() > 0) {
                        throw new IllegalStateException("duplicates in a benchmark run: " + s);
                    }
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("not done after " + timeout + ": " + s);
                }
                Thread.sleep(1);
            }
        } finally {
            pipeline.close(Duration.ofSeconds(5));
        }
        return n / ((end - firstReceived.get()) / (double) TimeUnit.SECONDS.toNanos(1));
    }
}
