package io.github.meterstream.dlqtool;

import io.github.meterstream.core.source.BrokerSourceFactory;
import io.github.meterstream.kafka.EmbeddedKafka;
import io.github.meterstream.kafka.KafkaSourceFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

/** Against a real Kafka broker in this JVM (KRaft, one node), over TCP on 127.0.0.1. */
@DisplayName("meterstream-dlq on Kafka")
class KafkaRedriveTest extends RedriveKit {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.ownBroker();

    private String group() {
        return "g-" + queue;
    }

    @BeforeEach
    void topics() throws Exception {
        KAFKA.createTopic(queue, 1);
        KAFKA.createTopic(queue + ".dlq", 1);
    }

    @Override
    BrokerSourceFactory factory() {
        return new KafkaSourceFactory();
    }

    @Override
    Map<String, String> sourceKeys(boolean faulty) {
        return Map.of("bootstrap-servers", KAFKA.bootstrapServers(), "topics", queue, "group-id", group());
    }

    @Override
    void interrupt(Thread tool) {
        tool.interrupt();
    }

    @Override
    void publish(String topic, byte[] payload) throws Exception {
        KAFKA.publish(topic, null, payload, Map.of());
    }

    @Override
    long waitingDeadLetters() throws Exception {
        TopicPartition dlq = new TopicPartition(queue + ".dlq", 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            ListOffsetsResult.ListOffsetsResultInfo end = admin.listOffsets(Map.of(dlq, OffsetSpec.latest())).partitionResult(dlq).get();
            OffsetAndMetadata mark = admin.listConsumerGroupOffsets(group() + ".dlq-tool").partitionsToOffsetAndMetadata().get().get(dlq);
            return end.offset() - (mark == null ? 0 : mark.offset());
        }
    }
}
