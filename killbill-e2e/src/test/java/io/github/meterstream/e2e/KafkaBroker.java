package io.github.meterstream.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;

import io.github.meterstream.kafka.EmbeddedKafka;

/** An in-process Kafka (KRaft) broker with one topic; the plugin consumes it in group {@value #GROUP}. */
final class KafkaBroker implements ScenarioBroker {
    static final String GROUP = "meterstream-e2e";

    private final String topic;
    private final int partitions;
    private final EmbeddedKafka kafka = EmbeddedKafka.ownBroker();
    private KafkaProducer<String, String> producer;

    KafkaBroker(String topic, int partitions) {
        this.topic = topic;
        this.partitions = partitions;
    }

    @Override
    public void start() throws Exception {
        kafka.beforeAll(null);
        kafka.createTopic(topic, partitions);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    String topic() {
        return topic;
    }

    @Override
    public Map<String, String> sourceConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("type", "kafka");
        c.put("bootstrap-servers", kafka.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", GROUP);
        // a node that vanishes without leaving the group is noticed within seconds
        c.put("kafka.session.timeout.ms", "10000");
        c.put("kafka.heartbeat.interval.ms", "1000");
        return c;
    }

    @Override
    public void publish(String key, String payload) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, payload)).get(30, TimeUnit.SECONDS);
    }

    /**
     * Once on the first and once on the last partition: two consumers (two nodes) may see them at the same time
     * (Kafka's default range assignment gives the first and the last partition to different members).
     */
    @Override
    public void publishTwice(String key, String payload) throws Exception {
        producer.send(new ProducerRecord<>(topic, 0, key, payload)).get(30, TimeUnit.SECONDS);
        producer.send(new ProducerRecord<>(topic, partitions - 1, key, payload)).get(30, TimeUnit.SECONDS);
    }

    @Override
    public List<DeadLetter> deadLetters() {
        List<DeadLetter> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic + ".dlq")) {
            Map<String, String> headers = new LinkedHashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
            }
            out.add(new DeadLetter(r.value(), headers));
        }
        return out;
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
        kafka.stopBroker();
    }
}
