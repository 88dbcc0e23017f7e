package io.github.meterstream.bench;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;
import io.github.meterstream.kafka.KafkaSource;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.rabbitmq.RabbitMqSource;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Benchmark 5b: the consumer's heap with a backlog waiting in the broker. A backlog of B messages is
 * published; heap after GC is taken; a pipeline with default settings (max-in-flight 1,000) and a
 * handler that blocks starts and fills up to its bound (max-in-flight, then it pauses the source;
 * on RabbitMQ the prefetch, 250, comes first: unacknowledged deliveries stop there); after a settling
 * time, heap after GC again. The difference is the consumer's footprint. B = 10,000 vs 100,000,
 * interleaved: bounded means the ratio is about 1.
 */
final class MemoryBacklog {

    private MemoryBacklog() {
    }

    static void run(String[] args) throws Exception {
        String brokers = Report.stringArg(args, "brokers", "kafka,rabbitmq");
        int rounds = Report.intArg(args, "rounds", 5);
        int small = Report.intArg(args, "small", 10_000);
        int large = Report.intArg(args, "large", 100_000);
        int settleMs = Report.intArg(args, "settle-ms", 2_000);
        System.out.printf("- default pipeline config (max-in-flight %d, concurrency %d); settle %d ms after the bound is reached%n",
                PipelineConfig.DEFAULT_MAX_IN_FLIGHT, PipelineConfig.DEFAULT_CONCURRENCY, settleMs);
        for (String broker : brokers.split(",")) {
            Report report = new Report("bytes");
            AutoCloseable b = broker.equals("kafka") ? new KafkaBroker() : new RabbitMqBroker();
            try (b) {
                measure(b, 5_000, settleMs, "warm");
                for (int r = 1; r <= rounds; r++) {
                    long x;
                    long y;
                    if (r % 2 == 0) {
                        x = measure(b, small, settleMs, "r" + r);
                        y = measure(b, large, settleMs, "r" + r);
                    } else {
                        y = measure(b, large, settleMs, "r" + r);
                        x = measure(b, small, settleMs, "r" + r);
                    }
                    report.add(broker + ", backlog " + small, x);
                    report.add(broker + ", backlog " + large, y);
                    report.endRound(r);
                }
            }
            System.out.println("\n#### " + broker);
            report.print(new String[][] {{broker + ", backlog " + large, broker + ", backlog " + small}});
        }
    }

    static long measure(AutoCloseable broker, int backlog, int settleMs, String run) throws Exception {
        String name = "backlog-" + run + "-" + backlog + "-" + System.nanoTime();
        BrokerSource source;
        Runnable cleanup;
        int bound; // what the consumer takes in before it stops: max-in-flight, or RabbitMQ's prefetch (acks never come)
        if (broker instanceof KafkaBroker) {
            KafkaBroker kafka = (KafkaBroker) broker;
            kafka.createTopic(name, 1);
            kafka.publish(name, backlog, i -> UsagePayloads.payload(name, i),
                    i -> UsagePayloads.subscription(i % 1000).getBytes(StandardCharsets.UTF_8));
            Map<String, String> c = new HashMap<>();
            c.put("bootstrap-servers", kafka.bootstrapServers());
            c.put("topics", name);
            c.put("group-id", name + "-g");
            source = new KafkaSource("bench", KafkaSourceConfig.of(c));
            cleanup = () -> kafka.deleteTopic(name);
            bound = PipelineConfig.DEFAULT_MAX_IN_FLIGHT;
        } else {
            RabbitMqBroker rabbit = (RabbitMqBroker) broker;
            RabbitMqSourceConfig config = rabbit.declare(name, RabbitMqSourceConfig.DEFAULT_PREFETCH);
            rabbit.publish(name, backlog, i -> UsagePayloads.payload(name, i));
            source = new RabbitMqSource("bench", config);
            cleanup = () -> rabbit.delete(config);
            bound = Math.min(PipelineConfig.DEFAULT_MAX_IN_FLIGHT, config.prefetch());
        }
        CountDownLatch release = new CountDownLatch(1);
        MessageHandler<UsageMessage> blocked = (msg, ctx) -> {
            release.await();
            return MessageHandler.Outcome.PROCESSED;
        };
        ConsumerPipeline<UsageMessage> pipeline = ConsumerPipeline.builder(new UsageMessageContract())
                .source(source).config(PipelineConfig.defaults()).handler(blocked).build();
        try {
            long before = Heap.usedAfterGc();
            pipeline.start();
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (pipeline.stats().inFlight() < bound) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("pipeline did not reach its bound: " + pipeline.stats());
                }
                Thread.sleep(5);
            }
            Thread.sleep(settleMs); // whatever the client keeps fetching while paused shows up now
            long after = Heap.usedAfterGc();
            System.out.printf("  backlog %,d: in flight %d, received %d, state %s%n", backlog, pipeline.stats().inFlight(),
                    pipeline.stats().received(), pipeline.state());
            return after - before;
        } finally {
            release.countDown();
            pipeline.close(Duration.ofSeconds(5));
            cleanup.run();
        }
    }
}
