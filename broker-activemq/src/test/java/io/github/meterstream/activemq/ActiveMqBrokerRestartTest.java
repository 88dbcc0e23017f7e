package io.github.meterstream.activemq;

import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.source.SourceHealth;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("A broker restarted mid-stream behind a failover URL")
class ActiveMqBrokerRestartTest {

    @RegisterExtension
    static final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();

    @Test
    @DisplayName("consumption resumes by itself after the restart and no message is lost")
    void resumesAfterRestart() throws Exception {
        String queue = "usage-restart";
        int total = 1_000;
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            payloads.add(("id-" + i).getBytes(StandardCharsets.UTF_8));
        }
        broker.publish(queue, payloads, i -> Map.of());

        // the first 200 are handled at once; the rest wait until the broker was restarted, so the
        // restart happens with messages delivered, in flight and still in the queue
        CountDownLatch restarted = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        MessageHandler<String> handler = (id, ctx) -> {
            if (calls.incrementAndGet() > 200 && !restarted.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test did not restart the broker within 60 s");
            }
            handled.add(id);
            return MessageHandler.Outcome.PROCESSED;
        };
        ActiveMqSource source = new ActiveMqSource("restart", ActiveMqSourceConfig.from(ConfigValues.of("sources.restart.",
                Map.of("broker-url", broker.failoverUrl(), "queue", queue, "consumers", "2"))));
        try (ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract()).source(source)
                .handler(handler).idempotencyStore(new InMemoryIdempotencyStore())
                .config(PipelineConfig.builder().concurrency(4).maxInFlight(100).build()).build()) {
            pipeline.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> handled.size() >= 200);

            broker.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> source.health().state() == SourceHealth.State.DISCONNECTED);
            broker.start();
            restarted.countDown();

            await().atMost(Duration.ofSeconds(30)).until(() -> source.health().state() == SourceHealth.State.CONNECTED);
            await().atMost(Duration.ofSeconds(90)).until(() -> handled.size() == total && broker.depth(queue) == 0);
        }
        assertThat(handled).hasSize(total);
        assertThat(broker.depth("ActiveMQ.DLQ")).as("nothing was poison-acked to the broker's own DLQ").isZero();
        assertThat(broker.depth(queue + ".DLQ")).isZero();
    }

    @Test
    @DisplayName("without failover the source reconnects by itself after reconnect-delay")
    void reconnectsWithoutFailover() throws Exception {
        String queue = "usage-reconnect";
        ActiveMqSource source = new ActiveMqSource("reconnect", ActiveMqSourceConfig.from(ConfigValues.of("sources.reconnect.",
                Map.of("broker-url", broker.tcpUrl(), "queue", queue, "reconnect-delay", "200ms"))));
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        try {
            source.start(got::add);
            await().atMost(Duration.ofSeconds(30)).until(() -> source.health().isConnected());
            broker.stop();
            await().atMost(Duration.ofSeconds(30)).until(() -> source.health().state() == SourceHealth.State.DISCONNECTED);
            broker.start();
            broker.publish(queue, "after restart".getBytes(StandardCharsets.UTF_8), Map.of());
            InboundMessage m = got.poll(30, TimeUnit.SECONDS);
            assertThat(m).as("a message delivered after the reconnect").isNotNull();
            assertThat(m.payloadAsString()).isEqualTo("after restart");
            m.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(source.health().state()).isEqualTo(SourceHealth.State.CONNECTED);
        } finally {
            source.close(Duration.ofSeconds(2));
        }
    }
}
