package io.github.meterstream.bench;

import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.kafka.KafkaSource;
import io.github.meterstream.kafka.KafkaSourceConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Benchmark 1 on Kafka: a hand-written KafkaConsumer loop (poll, decode + validate each record,
 * commitSync per poll) vs the same loop doing no work vs Meterstream, each on a fresh one-partition
 * topic holding N pre-published usage messages.
 */
final class KafkaOverhead {

    private KafkaOverhead() {
    }

    static void run(String[] args) throws Exception {
        int n = Report.intArg(args, "n", 50_000);
        int rounds = Report.intArg(args, "rounds", 5);
        Report report = new Report("msg/s");
        Report cpu = new Report("CPU us/msg");
        UsagePayloads.Work work = new UsagePayloads.Work();
        try (KafkaBroker kafka = new KafkaBroker()) {
            // warm-up: one small run of each variant (JIT, group coordinator), not reported
            runVariant(kafka, "raw-work", 5_000, work, "warm");
            runVariant(kafka, "meterstream", 5_000, work, "warm");
            runVariant(kafka, "raw-nowork", 5_000, work, "warm");
            String[] variants = Report.stringArg(args, "variants", "raw-nowork,raw-work,meterstream").split(",");
            for (int r = 1; r <= rounds; r++) {
                for (int k = 0; k < variants.length; k++) {
                    String v = variants[(k + r) % variants.length]; // rotate the order every round
                    report.add(v, runVariant(kafka, v, n, work, "r" + r));
                    cpu.add(v, ProcessCpu.lastMicrosPerMessage);
                }
                report.endRound(r);
            }
        }
        report.print(new String[][] {{"meterstream", "raw-work"}, {"meterstream-c2", "raw-work"}, {"meterstream-c2", "meterstream"},
                {"raw-work", "raw-nowork"}, {"meterstream", "raw-nowork"}});
        System.out.println("CPU of the whole JVM (the in-process broker included) from the first message to the last settled, per message:");
        cpu.print(new String[][] {{"meterstream", "raw-work"}, {"meterstream-c2", "raw-work"}});
    }

    private static double runVariant(KafkaBroker kafka, String variant, int n, UsagePayloads.Work work, String round)
            throws Exception {
        String topic = "ovh-" + variant + "-" + round + "-" + System.nanoTime();
        kafka.createTopic(topic, 1);
        kafka.publish(topic, n, i -> UsagePayloads.payload(topic, i),
                i -> UsagePayloads.subscription(i % 1000).getBytes(StandardCharsets.UTF_8));
        try {
            switch (variant) {
                case "raw-nowork":
                    return rawLoop(kafka, topic, n, null);
                case "raw-work":
                    return rawLoop(kafka, topic, n, work);
                default:
                    Map<String, String> c = new HashMap<>();
                    c.put("bootstrap-servers", kafka.bootstrapServers());
                    c.put("topics", topic);
                    c.put("group-id", topic + "-g");
                    KafkaSource source = new KafkaSource("bench", KafkaSourceConfig.of(c));
                    // "meterstream-c2": concurrency 2 instead of the default 8
                    PipelineConfig config = variant.startsWith("meterstream-c")
                            ? PipelineConfig.builder().concurrency(Integer.parseInt(variant.substring("meterstream-c".length()))).build()
                            : PipelineConfig.defaults();
                    return MeterstreamRun.consume(source, n, config, null, null, Duration.ofMinutes(3));
            }
        } finally {
            kafka.deleteTopic(topic);
        }
    }

    /** poll; decode + validate each record (unless {@code work} is null); commitSync per poll. */
    static double rawLoop(KafkaBroker kafka, String topic, int n, UsagePayloads.Work work) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-g");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long consumed = 0;
        long start = 0;
        long startCpu = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (consumed < n) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("raw loop: only " + consumed + " of " + n + " after 3 minutes");
                    }
                    continue;
                }
                if (start == 0) {
                    startCpu = ProcessCpu.nanos();
                    start = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (work != null) {
                        work.decodeAndValidate(r.value());
                    }
                    consumed++;
                }
                consumer.commitSync();
            }
            long end = System.nanoTime();
            ProcessCpu.record(startCpu, ProcessCpu.nanos(), consumed);
            return consumed / ((end - start) / 1e9);
        }
    }
}
