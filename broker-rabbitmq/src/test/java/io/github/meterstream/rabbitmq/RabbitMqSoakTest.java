package io.github.meterstream.rabbitmq;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.testkit.FaultSoak;
import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The long RabbitMQ soak ({@code -Psoak}): usage published continuously while, at random, the
 * broker closes the source's connection or one of its consumer channels, or the network between
 * them (a {@link TcpFaultProxy}) is cut or stalls. The short, fixed sequence of the same broker
 * faults runs in CI as {@link RabbitMqFaultInjectionTest}.
 */
@DisplayName("RabbitMQ soak under random faults")
class RabbitMqSoakTest {

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");

    @AfterEach
    void tearDown() throws Exception {
        broker.close();
    }

    @Test
    @Tag("soak")
    @DisplayName("soak: continuous usage under random faults for meterstream.soak.duration (default 10 minutes)")
    void soak() throws Exception {
        Duration duration = Duration.parse("PT" + System.getProperty("meterstream.soak.duration", "10m").toUpperCase());
        String id = UUID.randomUUID().toString().substring(0, 8);
        String sourceName = "soak-" + id;
        String connectionName = "meterstream-" + sourceName;
        FaultSoak soak = new FaultSoak(11);
        try (TcpFaultProxy proxy = new TcpFaultProxy(RabbitMqTestBroker.HOST, RabbitMqTestBroker.PORT)) {
            RabbitMqSourceConfig config = broker.config("meterstream-soak-" + id, "port", Integer.toString(proxy.port()),
                    "consumers", "2", "reconnect-delay", "500ms");
            broker.declare(config);
            MessageHandler<String> handler = (trackingId, ctx) -> {
                soak.recorded(trackingId);
                return MessageHandler.Outcome.PROCESSED;
            };
            List<FaultSoak.Fault> faults = List.of(
                    FaultSoak.fault("connection closed by the broker",
                            () -> ifConnected(() -> RabbitMqTestBroker.closeConnection(connectionName)), () -> { }),
                    FaultSoak.fault("consumer channel closed by the broker",
                            () -> ifConnected(() -> RabbitMqTestBroker.failConsumerChannelOf(connectionName)), () -> { }),
                    FaultSoak.fault("connection cut", proxy::cut, proxy::heal),
                    FaultSoak.fault("network stall", proxy::blackhole, proxy::heal));
            try (ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract())
                    .source(new RabbitMqSource(sourceName, config)).handler(handler)
                    .idempotencyStore(new InMemoryIdempotencyStore())
                    .config(PipelineConfig.builder().concurrency(4).build()).build()) {
                pipeline.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.source().health().isConnected());
                FaultSoak.Result result = soak.run(trackingId -> broker.publish(config.queue(),
                                trackingId.getBytes(StandardCharsets.UTF_8), Map.of()),
                        faults, duration, 20, Duration.ofSeconds(20), Duration.ofSeconds(8), Duration.ofSeconds(120));
                System.out.println("RabbitMQ soak: " + result);
                assertThat(result.problems()).isEmpty();
                assertThat(result.longestStall()).as("recovered by itself").isLessThan(Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.stats().oldestUnsettledSince() == null);
                assertThat(pipeline.stats().deadLettered()).isZero();
            }
        }
    }

    /** A broker-side fault needs the connection to exist; right after another fault it may still be recovering. */
    private static void ifConnected(Runnable fault) {
        try {
            fault.run();
        } catch (AssertionError notConnectedNow) {
            System.out.println("RabbitMQ soak: fault skipped, the source is not connected right now");
        }
    }
}
