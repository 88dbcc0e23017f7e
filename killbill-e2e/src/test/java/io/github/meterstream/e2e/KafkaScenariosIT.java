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
import org.junit.jupiter.api.DisplayName;

import io.github.meterstream.kafka.EmbeddedKafka;

@DisplayName("Kafka (in-process KRaft broker) -> meterstream -> Kill Bill 0.22")
class KafkaScenariosIT extends BrokerScenarios {
    static final String TOPIC = "usage-e2e";

    private final EmbeddedKafka kafka = EmbeddedKafka.ownBroker();
    private KafkaProducer<String, String> producer;

    @Override
    protected void startBroker() throws Exception {
        kafka.beforeAll(null);
        kafka.createTopic(TOPIC, 2);
        producer = producer(kafka.bootstrapServers());
    }

    static KafkaProducer<String, String> producer(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    @Override
    protected void stopBroker() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
        kafka.stopBroker();
    }

    @Override
    protected Map<String, String> sourceConfig() {
        return kafkaSource(kafka.bootstrapServers(), TOPIC);
    }

    static Map<String, String> kafkaSource(String bootstrapServers, String topic) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("type", "kafka");
        c.put("bootstrap-servers", bootstrapServers);
        c.put("topics", topic);
        c.put("group-id", "meterstream-e2e");
        return c;
    }

    @Override
    protected String serverName() {
        return "kafka";
    }

    @Override
    protected void publish(String key, String payload) throws Exception {
        producer.send(new ProducerRecord<>(TOPIC, key, payload)).get(30, TimeUnit.SECONDS);
    }

    /** Once on partition 0 and once on partition 1: two consumers (or two nodes) may see them at the same time. */
    @Override
    protected void publishTwice(String key, String payload) throws Exception {
        producer.send(new ProducerRecord<>(TOPIC, 0, key, payload)).get(30, TimeUnit.SECONDS);
        producer.send(new ProducerRecord<>(TOPIC, 1, key, payload)).get(30, TimeUnit.SECONDS);
    }

    @Override
    protected List<DeadLetter> deadLetters() {
        List<DeadLetter> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(TOPIC + ".dlq")) {
            Map<String, String> headers = new LinkedHashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
            }
            out.add(new DeadLetter(r.value(), headers));
        }
        return out;
    }
}
