package io.github.meterstream.rabbitmq;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.testkit.IdPayloadContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fault suite's RabbitMQ run: a producer publishes all along while the broker drops the
 * source's connection and closes its consumer channels, several times. Only this test's
 * connection is touched ({@code close_connection} on the connection it named; the channel error
 * goes to one of that connection's channels).
 */
@DisplayName("A RabbitMQ source under repeated broker faults while messages keep coming")
class RabbitMqFaultInjectionTest {

    /** How long the source may take to consume again after a fault, by itself. */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(15);

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        broker.close();
    }

    @Test
    @DisplayName("3 channel errors and 3 connection losses, alternating, mid-stream: every published id is handled exactly once, "
            + "nothing is dead-lettered, no channel leaks, and each time the source consumes again within 15 s")
    void everyIdHandledOnceThroughFaults() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        RabbitMqSourceConfig config = broker.config("meterstream-faults-" + id, "consumers", "2", "prefetch", "50",
                "reconnect-delay", "500ms");
        broker.declare(config);
        String sourceName = "faults-" + id;
        String connectionName = "meterstream-" + sourceName;
        int n = 3_000;

        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        MessageHandler<String> handler = (trackingId, ctx) -> {
            handled.computeIfAbsent(trackingId, k -> new AtomicInteger()).incrementAndGet();
            return MessageHandler.Outcome.PROCESSED;
        };
        RabbitMqSource source = new RabbitMqSource(sourceName, config);
        ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract())
                .source(source).handler(handler).idempotencyStore(new InMemoryIdempotencyStore())
                .config(PipelineConfig.builder().concurrency(4).maxInFlight(200).build())
                .build();
        toClose.add(() -> pipeline.close(Duration.ofSeconds(5)));
        pipeline.start();

        // The producer keeps at most 300 messages ahead of the handler, so that publishing spans every fault.
        AtomicInteger published = new AtomicInteger();
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            try {
                while (published.get() < n) {
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                            .until(() -> handled.size() >= published.get() - 300);
                    List<String> batch = new ArrayList<>();
                    for (int i = published.get(); i < Math.min(n, published.get() + 100); i++) {
                        batch.add("usage-" + i);
                    }
                    broker.publishAll(config.queue(), batch);
                    published.addAndGet(batch.size());
                }
            } catch (Exception e) {
                throw new IllegalStateException("producer failed after " + published.get() + " messages", e);
            }
        });

        // A channel error first: before any connection recovery the client gives a reopened channel a
        // new number, which is when a replaced channel could come back at the next recovery.
        for (int fault = 1; fault <= 6; fault++) {
            int threshold = n * fault / 7;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).until(() -> handled.size() >= threshold);
            Instant injected = Instant.now();
            int before = handled.size();
            if (fault % 2 == 0) {
                RabbitMqTestBroker.closeConnection(connectionName);
                await().atMost(RECOVERY_BOUND).pollInterval(Duration.ofMillis(20))
                        .alias("connection recovered after fault " + fault)
                        .until(() -> {
                            SourceHealth h = source.health();
                            return h.isConnected() && h.since().isAfter(injected);
                        });
            } else {
                RabbitMqTestBroker.failConsumerChannelOf(connectionName);
            }
            await().atMost(RECOVERY_BOUND).pollInterval(Duration.ofMillis(20)).alias("consuming again after fault " + fault)
                    .until(() -> handled.size() >= Math.min(n, before + 50));
        }

        producer.get(60, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> handled.size() == n && pipeline.stats().oldestUnsettledSince() == null);
        assertThat(handled.values()).as("handler calls per id").allMatch(c -> c.get() == 1);
        assertThat(pipeline.stats().deadLettered()).as("dead-lettered by the pipeline").isZero();
        assertThat(broker.depth(config.deadLetterQueue())).as("dead-letter queue").isZero();
        // rabbitmqctl starts a VM per call: poll it slowly; retried duplicates may still be on their way
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> RabbitMqTestBroker.counts("/", config.queue()).messages == 0
                        && broker.depth(config.retryQueue(Duration.ofMillis(500))) == 0);
        assertThat(RabbitMqTestBroker.counts("/", config.queue()).consumers).as("consumers").isEqualTo(2);
        assertThat(RabbitMqTestBroker.channelsOf(connectionName)).as("channels: 2 consumers + 1 publisher").isEqualTo(3);
        assertThat(source.health().isConnected()).isTrue();
    }
}
