package io.github.meterstream.bench;

import io.github.meterstream.activemq.ActiveMqSource;
import io.github.meterstream.activemq.ActiveMqSourceConfig;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.config.ConfigValues;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQSession;

import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.Session;
import java.time.Duration;
import java.util.Map;

/**
 * Benchmark 1 on ActiveMQ Classic: a hand-written JMS loop (INDIVIDUAL_ACKNOWLEDGE, the adapter's
 * prefetch; receive, decode + validate, acknowledge) vs the same doing no work vs Meterstream.
 */
final class ActiveMqOverhead {

    private ActiveMqOverhead() {
    }

    static void run(String[] args) throws Exception {
        int n = Report.intArg(args, "n", 50_000);
        int rounds = Report.intArg(args, "rounds", 5);
        int prefetch = Report.intArg(args, "prefetch", ActiveMqSourceConfig.DEFAULT_PREFETCH);
        System.out.println("- prefetch " + prefetch + " (the adapter's default), INDIVIDUAL_ACKNOWLEDGE, in-memory broker store");
        Report report = new Report("msg/s");
        UsagePayloads.Work work = new UsagePayloads.Work();
        try (ActiveMqBroker amq = new ActiveMqBroker()) {
            runVariant(amq, "raw-work", 5_000, prefetch, work, "warm");
            runVariant(amq, "meterstream", 5_000, prefetch, work, "warm");
            runVariant(amq, "raw-nowork", 5_000, prefetch, work, "warm");
            runVariant(amq, "raw-work-syncack", 5_000, prefetch, work, "warm");
            String[] variants = Report.stringArg(args, "variants", "raw-nowork,raw-work,raw-work-syncack,meterstream,meterstream-consumers4")
                    .split(",");
            for (int r = 1; r <= rounds; r++) {
                for (int k = 0; k < variants.length; k++) {
                    String v = variants[(k + r) % variants.length];
                    report.add(v, runVariant(amq, v, n, prefetch, work, "r" + r));
                }
                report.endRound(r);
            }
        }
        report.print(new String[][] {{"meterstream", "raw-work"}, {"meterstream", "raw-work-syncack"},
                {"meterstream-consumers4", "raw-work-syncack"}, {"meterstream-consumers4", "raw-work"},
                {"raw-work-syncack", "raw-work"}, {"raw-work", "raw-nowork"}});
    }

    private static double runVariant(ActiveMqBroker amq, String variant, int n, int prefetch, UsagePayloads.Work work,
                                     String round) throws Exception {
        String queue = "bench." + variant + "." + round + "." + System.nanoTime();
        amq.publish(queue, n, i -> UsagePayloads.payload(queue, i));
        try {
            switch (variant) {
                case "raw-nowork":
                    return rawLoop(amq, queue, n, prefetch, null, true);
                case "raw-work":
                    return rawLoop(amq, queue, n, prefetch, work, true);
                case "raw-work-syncack":
                    return rawLoop(amq, queue, n, prefetch, work, false);
                default:
                    String consumers = variant.equals("meterstream-consumers4") ? "4" : "1";
                    ActiveMqSourceConfig config = ActiveMqSourceConfig.from(ConfigValues.of("", Map.of("broker-url", amq.url(),
                            "queue", queue, "prefetch", Integer.toString(prefetch), "consumers", consumers)));
                    return MeterstreamRun.consume(new ActiveMqSource("bench", config), n, PipelineConfig.defaults(), null, null,
                            Duration.ofMinutes(3));
            }
        } finally {
            amq.delete(queue);
        }
    }

    /**
     * @param asyncAcks the client's default ({@code sendAcksAsync=true}): acknowledge() returns before the broker
     *                  has the ack. The adapter sets it to false, so that a settlement completes only once the broker
     *                  confirmed it (the SPI's rule): one round trip per message; {@code raw-work-syncack} does the same.
     */
    static double rawLoop(ActiveMqBroker amq, String queue, int n, int prefetch, UsagePayloads.Work work, boolean asyncAcks)
            throws Exception {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(amq.url());
        f.setSendAcksAsync(asyncAcks);
        f.getPrefetchPolicy().setQueuePrefetch(prefetch);
        try (Connection c = f.createConnection()) {
            c.start();
            Session s = c.createSession(false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
            MessageConsumer consumer = s.createConsumer(s.createQueue(queue));
            long start = 0;
            for (int i = 0; i < n; i++) {
                Message m = consumer.receive(60_000);
                if (m == null) {
                    throw new IllegalStateException("raw loop: only " + i + " of " + n + " after a minute of silence");
                }
                if (start == 0) {
                    start = System.nanoTime();
                }
                if (work != null) {
                    BytesMessage b = (BytesMessage) m;
                    byte[] body = new byte[(int) b.getBodyLength()];
                    b.readBytes(body);
                    work.decodeAndValidate(body);
                }
                m.acknowledge();
            }
            long end = System.nanoTime();
            return n / ((end - start) / 1e9);
        }
    }
}
