package io.github.meterstream.activemq;

import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Two Kill Bill nodes competing for one ActiveMQ queue")
class ActiveMqCompetingConsumersTest {

    @RegisterExtension
    static final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();

    private final List<ConsumerPipeline<String>> pipelines = new ArrayList<>();

    @AfterEach
    void closePipelines() {
        pipelines.forEach(p -> p.close(Duration.ofSeconds(5)));
    }

    @Test
    @DisplayName("10,000 messages with 10% duplicates over two connections: each id is handled exactly once")
    void eachIdHandledOnce() throws Exception {
        String queue = "usage-competing";
        int unique = 9_000;
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < unique; i++) {
            payloads.add(("id-" + i).getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < 1_000; i++) {
            payloads.add(("id-" + (i * 9)).getBytes(StandardCharsets.UTF_8)); // every 9th id published twice
        }
        broker.publish(queue, payloads, i -> Map.of());

        InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> perNode = new ConcurrentHashMap<>();
        for (String node : List.of("node-a", "node-b")) {
            ActiveMqSource source = new ActiveMqSource(node, ActiveMqSourceConfig.from(ConfigValues.of("sources." + node + ".",
                    Map.of("broker-url", broker.tcpUrl(), "queue", queue, "consumers", "2"))));
            MessageHandler<String> handler = (id, ctx) -> {
                handled.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                perNode.computeIfAbsent(node, k -> new AtomicInteger()).incrementAndGet();
                return MessageHandler.Outcome.PROCESSED;
            };
            ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract()).source(source)
                    .handler(handler).idempotencyStore(store)
                    .config(PipelineConfig.builder().concurrency(4).maxInFlight(500).build()).build();
            pipelines.add(pipeline);
            pipeline.start();
        }

        await().atMost(Duration.ofSeconds(120)).until(() -> handled.size() == unique && broker.depth(queue) == 0);
        assertThat(handled.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(perNode).as("both nodes took a share").containsKeys("node-a", "node-b");
        long duplicates = pipelines.stream().mapToLong(p -> p.stats().duplicates()).sum();
        assertThat(duplicates).isEqualTo(1_000);
    }
}
