package io.github.meterstream.rabbitmq;

import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Two nodes competing on one RabbitMQ queue")
class RabbitMqCompetingConsumersTest {

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");
    private final List<ConsumerPipeline<String>> pipelines = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        pipelines.forEach(p -> p.close(Duration.ofSeconds(5)));
        broker.close();
    }

    @Test
    @DisplayName("10,000 messages with 10% duplicates: each tracking id is handled once and the queue ends empty")
    void eachIdHandledOnce() throws Exception {
        String queue = "meterstream-competing-" + UUID.randomUUID().toString().substring(0, 8);
        RabbitMqSourceConfig config = broker.config(queue, "prefetch", "200", "queue-type", "quorum");
        broker.declare(config);
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < 9_000; i++) {
            payloads.add("usage-" + i);
        }
        for (int i = 0; i < 1_000; i++) {
            payloads.add("usage-" + (i * 9)); // the same tracking id published a second time
        }
        Collections.shuffle(payloads, new Random(11));
        broker.publishAll(queue, payloads);

        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> byNode = new ConcurrentHashMap<>();
        InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();
        for (String node : List.of("node-a", "node-b")) {
            MessageHandler<String> handler = (id, ctx) -> {
                handled.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                byNode.computeIfAbsent(node, k -> new AtomicInteger()).incrementAndGet();
                return MessageHandler.Outcome.PROCESSED;
            };
            ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract())
                    .source(new RabbitMqSource(node, config)).handler(handler).idempotencyStore(store)
                    .config(PipelineConfig.builder().concurrency(4).maxInFlight(400).build())
                    .build();
            pipelines.add(pipeline);
            pipeline.start();
        }

        await().atMost(Duration.ofSeconds(90)).until(() -> handled.size() == 9_000
                && pipelines.stream().mapToLong(p -> p.stats().received()).sum() >= 10_000
                && pipelines.stream().allMatch(p -> p.stats().oldestUnsettledSince() == null));
        pipelines.forEach(p -> p.close(Duration.ofSeconds(5)));

        assertThat(handled.values()).as("handler calls per tracking id").allMatch(n -> n.get() == 1);
        assertThat(byNode.keySet()).as("both nodes took part").containsExactlyInAnyOrder("node-a", "node-b");
        assertThat(broker.depth(queue)).as("messages left in the queue").isZero();
        assertThat(broker.depth(config.deadLetterQueue())).as("dead letters").isZero();
    }
}
