package io.github.meterstream.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.rabbitmq.RabbitMqSource;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark 1 on RabbitMQ (the real server): basicConsume with manual acks and the adapter's prefetch
 * (decode + validate each, basicAck each) vs the same doing no work vs Meterstream; fresh queue per run.
 */
final class RabbitMqOverhead {

    private RabbitMqOverhead() {
    }

    static void run(String[] args) throws Exception {
        int n = Report.intArg(args, "n", 20_000);
        int rounds = Report.intArg(args, "rounds", 5);
        int prefetch = Report.intArg(args, "prefetch", RabbitMqSourceConfig.DEFAULT_PREFETCH);
        System.out.println("- prefetch " + prefetch + " (the adapter's default), classic durable queue, persistent messages");
        Report report = new Report("msg/s");
        Report cpu = new Report("CPU us/msg");
        UsagePayloads.Work work = new UsagePayloads.Work();
        try (RabbitMqBroker rabbit = new RabbitMqBroker()) {
            runVariant(rabbit, "raw-work", 2_000, prefetch, work, "warm");
            runVariant(rabbit, "meterstream", 2_000, prefetch, work, "warm");
            runVariant(rabbit, "raw-nowork", 2_000, prefetch, work, "warm");
            String[] variants = Report.stringArg(args, "variants", "raw-nowork,raw-work,meterstream").split(",");
            for (int r = 1; r <= rounds; r++) {
                for (int k = 0; k < variants.length; k++) {
                    String v = variants[(k + r) % variants.length];
                    report.add(v, runVariant(rabbit, v, n, prefetch, work, "r" + r));
                    cpu.add(v, ProcessCpu.lastMicrosPerMessage);
                }
                report.endRound(r);
            }
        }
        report.print(new String[][] {{"meterstream", "raw-work"}, {"raw-work", "raw-nowork"}, {"meterstream", "raw-nowork"}});
        System.out.println("CPU of the benchmark JVM (the client side: the server is another process) from the first message"
                + " to the last settled, per message:");
        cpu.print(new String[][] {{"meterstream", "raw-work"}});
    }

    private static double runVariant(RabbitMqBroker rabbit, String variant, int n, int prefetch, UsagePayloads.Work work,
                                     String round) throws Exception {
        String queue = "bench-" + variant + "-" + round + "-" + System.nanoTime();
        RabbitMqSourceConfig config = rabbit.declare(queue, prefetch);
        try {
            rabbit.publish(queue, n, i -> UsagePayloads.payload(queue, i));
            switch (variant) {
                case "raw-nowork":
                    return rawLoop(queue, n, prefetch, null);
                case "raw-work":
                    return rawLoop(queue, n, prefetch, work);
                default:
                    return MeterstreamRun.consume(new RabbitMqSource("bench", config), n, PipelineConfig.defaults(), null, null,
                            Duration.ofMinutes(3));
            }
        } finally {
            rabbit.delete(config);
        }
    }

    static double rawLoop(String queue, int n, int prefetch, UsagePayloads.Work work) throws Exception {
        try (Connection connection = RabbitMqBroker.factory().newConnection("meterstream-bench-raw")) {
            Channel ch = connection.createChannel();
            ch.basicQos(prefetch);
            CountDownLatch done = new CountDownLatch(1);
            AtomicLong start = new AtomicLong();
            AtomicLong startCpu = new AtomicLong();
            AtomicLong end = new AtomicLong();
            long[] count = {0};
            ch.basicConsume(queue, false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                        throws IOException {
                    if (count[0] == 0) {
                        startCpu.set(ProcessCpu.nanos());
                        start.set(System.nanoTime());
                    }
                    if (work != null) {
                        work.decodeAndValidate(body);
                    }
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                    if (++count[0] == n) {
                        end.set(System.nanoTime());
                        ProcessCpu.record(startCpu.get(), ProcessCpu.nanos(), n);
                        done.countDown();
                    }
                }
            });
            if (!done.await(3, TimeUnit.MINUTES)) {
                throw new IllegalStateException("raw loop: only " + count[0] + " of " + n + " after 3 minutes");
            }
            return n / ((end.get() - start.get()) / 1e9);
        }
    }
}
