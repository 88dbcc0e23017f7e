package io.github.meterstream.activemq;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.testkit.FaultSoak;
import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Usage published continuously while the network between consumer and broker is cut or stalled
 * (a {@link TcpFaultProxy}) and the broker itself restarts: every message is recorded once,
 * nothing valid is dead-lettered, and the source recovers by itself. The short run is part of CI;
 * the long one runs under {@code -Psoak} ({@code -Dmeterstream.soak.duration=10m}).
 */
@DisplayName("ActiveMQ under injected faults")
class ActiveMqFaultsTest {

    @RegisterExtension
    static final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();

    @Test
    @DisplayName("30 s of continuous usage with connection cuts, network stalls and broker restarts: each message"
            + " recorded once, none dead-lettered, recovered by itself")
    void shortFaultRun() throws Exception {
        FaultSoak.Result result = soak("faults-short", Duration.ofSeconds(30), Duration.ofSeconds(5));
        assertThat(result.faults()).isNotEmpty();
    }

    @Test
    @Tag("soak")
    @DisplayName("soak: continuous usage under random faults for meterstream.soak.duration (default 10 minutes)")
    void soak() throws Exception {
        soak("faults-soak", Duration.parse("PT" + System.getProperty("meterstream.soak.duration", "10m").toUpperCase()),
                Duration.ofSeconds(20));
    }

    private FaultSoak.Result soak(String queue, Duration duration, Duration faultEvery) throws Exception {
        FaultSoak soak = new FaultSoak(42);
        try (TcpFaultProxy proxy = new TcpFaultProxy("127.0.0.1", Integer.parseInt(broker.tcpUrl().replaceAll(".*:", "")))) {
            ActiveMqSource source = new ActiveMqSource(queue, ActiveMqSourceConfig.from(ConfigValues.of("sources." + queue + ".",
                    Map.of("broker-url", "failover:(tcp://127.0.0.1:" + proxy.port() + ")?initialReconnectDelay=100"
                            + "&maxReconnectDelay=1000", "queue", queue, "consumers", "2"))));
            MessageHandler<String> handler = (id, ctx) -> {
                soak.recorded(id);
                return MessageHandler.Outcome.PROCESSED;
            };
            List<FaultSoak.Fault> faults = List.of(
                    FaultSoak.fault("connection cut", proxy::cut, proxy::heal),
                    FaultSoak.fault("network stall", proxy::blackhole, proxy::heal),
                    FaultSoak.fault("broker restart", broker::stop, broker::start));
            try (ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract()).source(source)
                    .handler(handler).idempotencyStore(new InMemoryIdempotencyStore())
                    .config(PipelineConfig.builder().concurrency(4).build()).build()) {
                pipeline.start();
                FaultSoak.Result result = soak.run(id -> broker.publish(queue, id.getBytes(StandardCharsets.UTF_8), Map.of()),
                        faults, duration, 20, faultEvery, Duration.ofSeconds(4), Duration.ofSeconds(90));
                System.out.println("ActiveMQ fault run " + queue + ": " + result);
                assertThat(result.problems()).isEmpty();
                assertThat(result.longestStall()).as("recovered by itself").isLessThan(Duration.ofSeconds(45));
                await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.stats().oldestUnsettledSince() == null);
                assertThat(broker.depth(queue + ".DLQ")).isZero();
                assertThat(broker.depth("ActiveMQ.DLQ")).isZero();
                return result;
            }
        }
    }
}
