package io.github.meterstream.kafka;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.testkit.FaultSoak;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Usage published continuously while the consumer's network to the broker is cut (connections
 * reset) or stalled (no byte through: heartbeats stop, the group coordinator evicts the member),
 * through a {@link TcpFaultProxy} in front of a listener of its own: every record is recorded once,
 * nothing valid is dead-lettered, and the source recovers by itself. The short run is part of CI;
 * the long one runs under {@code -Psoak} ({@code -Dmeterstream.soak.duration=10m}).
 */
@DisplayName("Kafka under injected network faults")
class KafkaFaultsTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.behindProxy();

    @Test
    @DisplayName("30 s of continuous usage with connection cuts and network stalls: each record recorded once,"
            + " none dead-lettered, recovered by itself")
    void shortFaultRun() throws Exception {
        FaultSoak.Result result = soak("faults-short", Duration.ofSeconds(30), Duration.ofSeconds(5));
        assertThat(result.faults()).isNotEmpty();
    }

    @Test
    @Tag("soak")
    @DisplayName("soak: continuous usage under random network faults for meterstream.soak.duration (default 10 minutes)")
    void soak() throws Exception {
        soak("faults-soak", Duration.parse("PT" + System.getProperty("meterstream.soak.duration", "10m").toUpperCase()),
                Duration.ofSeconds(20));
    }

    private FaultSoak.Result soak(String topic, Duration duration, Duration faultEvery) throws Exception {
        KAFKA.createTopic(topic, 3);
        FaultSoak soak = new FaultSoak(7);
        TcpFaultProxy proxy = KAFKA.proxy();
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.proxiedBootstrapServers());
        c.put("topics", topic);
        c.put("group-id", topic + "-group");
        c.put("kafka.session.timeout.ms", "6000");
        c.put("kafka.heartbeat.interval.ms", "1000");
        KafkaSource source = new KafkaSource(topic, KafkaSourceConfig.of(c));
        MessageHandler<String[]> handler = (m, ctx) -> {
            soak.recorded(m[1]);
            return MessageHandler.Outcome.PROCESSED;
        };
        List<FaultSoak.Fault> faults = List.of(FaultSoak.fault("connection cut", proxy::cut, proxy::heal),
                FaultSoak.fault("network stall", proxy::blackhole, proxy::heal));
        try (ConsumerPipeline<String[]> pipeline = ConsumerPipeline.builder(new IdContract()).source(source)
                .handler(handler).idempotencyStore(new InMemoryIdempotencyStore())
                .config(PipelineConfig.builder().concurrency(4).build()).build()) {
            pipeline.start();
            FaultSoak.Result result = soak.run(id -> {
                        String key = "k" + Math.floorMod(id.hashCode(), 16);
                        KAFKA.publish(topic, key, (key + ":" + id).getBytes(StandardCharsets.UTF_8), Map.of());
                    },
                    faults, duration, 20, faultEvery, Duration.ofSeconds(8), Duration.ofSeconds(120));
            System.out.println("Kafka fault run " + topic + ": " + result);
            assertThat(result.problems()).isEmpty();
            assertThat(result.longestStall()).as("recovered by itself").isLessThan(Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.stats().oldestUnsettledSince() == null);
            assertThat(pipeline.stats().deadLettered()).isZero();
            return result;
        }
    }
}
