package io.github.meterstream.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.kafka.KafkaSource;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.rabbitmq.RabbitMqSource;
import io.github.meterstream.rabbitmq.RabbitMqSourceConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark 2: a downstream taking {@code sleep-ms} (2 ms) per message, one partition / one queue,
 * messages over 1,000 subscriptions. Meterstream (parallel across subscriptions, ordered within one)
 * at concurrency 8, 16, 32 vs a serial loop that handles one message at a time in order, as the
 * existing Kafka consumer plugin for Kill Bill handles a partition.
 */
final class SlowDownstream {

    private SlowDownstream() {
    }

    static void run(String[] args) throws Exception {
        String broker = Report.stringArg(args, "broker", "kafka");
        int n = Report.intArg(args, "n", 10_000);
        int serialN = Report.intArg(args, "serial-n", 1_500);
        int rounds = Report.intArg(args, "rounds", 5);
        int sleepMs = Report.intArg(args, "sleep-ms", 2);
        System.out.printf("- broker %s; downstream sleeps %d ms per message; Meterstream N=%d, serial N=%d; 1,000 subscriptions%n",
                broker, sleepMs, n, serialN);
        Report report = new Report("msg/s");
        UsagePayloads.Work work = new UsagePayloads.Work();
        MessageHandler<UsageMessage> slow = (m, ctx) -> {
            Thread.sleep(sleepMs);
            return MessageHandler.Outcome.PROCESSED;
        };
        String[] variants = {"serial", "meterstream-c8", "meterstream-c16", "meterstream-c32"};
        AutoCloseable b = broker.equals("kafka") ? new KafkaBroker() : new RabbitMqBroker();
        try (b) {
            for (int r = 0; r <= rounds; r++) {
                for (int k = 0; k < variants.length; k++) {
                    String v = variants[(k + r) % variants.length];
                    int count = v.equals("serial") ? serialN : n;
                    if (r == 0) {
                        count = Math.min(count, 500); // warm-up round, not reported
                    }
                    double rate = b instanceof KafkaBroker
                            ? kafka((KafkaBroker) b, v, count, work, slow, sleepMs)
                            : rabbit((RabbitMqBroker) b, v, count, work, slow, sleepMs);
                    if (r > 0) {
                        report.add(v, rate);
                    }
                }
                if (r > 0) {
                    report.endRound(r);
                }
            }
        }
        report.print(new String[][] {{"meterstream-c8", "serial"}, {"meterstream-c16", "serial"}, {"meterstream-c32", "serial"}});
    }

    private static int concurrency(String variant) {
        return Integer.parseInt(variant.substring(variant.indexOf("-c") + 2));
    }

    private static double kafka(KafkaBroker kafka, String variant, int n, UsagePayloads.Work work,
                                MessageHandler<UsageMessage> slow, int sleepMs) throws Exception {
        String topic = "slow-" + variant + "-" + System.nanoTime();
        kafka.createTopic(topic, 1);
        kafka.publish(topic, n, i -> UsagePayloads.payload(topic, i),
                i -> UsagePayloads.subscription(i % 1000).getBytes(StandardCharsets.UTF_8));
        try {
            if (variant.equals("serial")) {
                return serialKafka(kafka, topic, n, work, sleepMs);
            }
            Map<String, String> c = new HashMap<>();
            c.put("bootstrap-servers", kafka.bootstrapServers());
            c.put("topics", topic);
            c.put("group-id", topic + "-g");
            PipelineConfig config = PipelineConfig.builder().concurrency(concurrency(variant)).build();
            return MeterstreamRun.consume(new KafkaSource("bench", KafkaSourceConfig.of(c)), n, config, null, slow,
                    Duration.ofMinutes(3));
        } finally {
            kafka.deleteTopic(topic);
        }
    }

    /** poll; for each record in order: decode, validate, handle (sleep); commitSync per poll. */
    private static double serialKafka(KafkaBroker kafka, String topic, int n, UsagePayloads.Work work, int sleepMs)
            throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-g");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long consumed = 0;
        long start = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (consumed < n) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                if (start == 0) {
                    start = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    work.decodeAndValidate(r.value());
                    Thread.sleep(sleepMs);
                    consumed++;
                }
                consumer.commitSync();
            }
            return consumed / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double rabbit(RabbitMqBroker rabbit, String variant, int n, UsagePayloads.Work work,
                                 MessageHandler<UsageMessage> slow, int sleepMs) throws Exception {
        String queue = "slow-" + variant + "-" + System.nanoTime();
        RabbitMqSourceConfig config = rabbit.declare(queue, RabbitMqSourceConfig.DEFAULT_PREFETCH);
        try {
            rabbit.publish(queue, n, i -> UsagePayloads.payload(queue, i));
            if (variant.equals("serial")) {
                return serialRabbit(queue, n, work, sleepMs);
            }
            PipelineConfig pc = PipelineConfig.builder().concurrency(concurrency(variant)).build();
            return MeterstreamRun.consume(new RabbitMqSource("bench", config), n, pc, null, slow, Duration.ofMinutes(3));
        } finally {
            rabbit.delete(config);
        }
    }

    private static double serialRabbit(String queue, int n, UsagePayloads.Work work, int sleepMs) throws Exception {
        try (Connection connection = RabbitMqBroker.factory().newConnection("meterstream-bench-serial")) {
            Channel ch = connection.createChannel();
            ch.basicQos(RabbitMqSourceConfig.DEFAULT_PREFETCH);
            CountDownLatch done = new CountDownLatch(1);
            AtomicLong start = new AtomicLong();
            AtomicLong end = new AtomicLong();
            long[] count = {0};
            ch.basicConsume(queue, false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                        throws IOException {
                    if (count[0] == 0) {
                        start.set(System.nanoTime());
                    }
                    work.decodeAndValidate(body);
                    try {
                        Thread.sleep(sleepMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                    if (++count[0] == n) {
                        end.set(System.nanoTime());
                        done.countDown();
                    }
                }
            });
            if (!done.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("serial loop: only " + count[0] + " of " + n);
            }
            return n / ((end.get() - start.get()) / 1e9);
        }
    }
}
