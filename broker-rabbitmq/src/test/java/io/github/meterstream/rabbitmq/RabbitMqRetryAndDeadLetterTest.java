package io.github.meterstream.rabbitmq;

import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.rabbitmq.internal.MessageHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@DisplayName("Retry through delay queues and confirmed dead-lettering on a real RabbitMQ")
class RabbitMqRetryAndDeadLetterTest {

    private final RabbitMqTestBroker broker = new RabbitMqTestBroker("/");
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        broker.close();
    }

    private static String newQueue() {
        return "meterstream-settle-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private ConsumerPipeline<String> pipeline(RabbitMqSourceConfig config, MessageHandler<String> handler) {
        ConsumerPipeline<String> p = ConsumerPipeline.builder(new IdPayloadContract())
                .source(new RabbitMqSource("settle-test", config)).handler(handler)
                .config(PipelineConfig.builder().retryInProcessAttempts(1).retryInitialDelay(Duration.ofMillis(300))
                        .retryJitter(0.0).concurrency(2).build())
                .build();
        toClose.add(() -> p.close(Duration.ofSeconds(5)));
        return p;
    }

    @Test
    @DisplayName("a poison message ends in the dead-letter queue with the envelope headers and its own headers")
    void poisonIsDeadLettered() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue());
        broker.declare(config);
        broker.publish(config.queue(), "poison-1".getBytes(StandardCharsets.UTF_8), Map.of("x_origin", "test"));
        broker.publish(config.queue(), "good-1".getBytes(StandardCharsets.UTF_8), Map.of());
        List<String> handled = new CopyOnWriteArrayList<>();
        pipeline(config, (id, ctx) -> {
            handled.add(id);
            return MessageHandler.Outcome.PROCESSED;
        }).start();

        await().atMost(Duration.ofSeconds(30)).until(() -> handled.contains("good-1") && broker.depth(config.deadLetterQueue()) == 1);
        List<RabbitMqTestBroker.Read> dead = broker.peek(config.deadLetterQueue());
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).text()).isEqualTo("poison-1");
        assertThat(dead.get(0).headers)
                .containsEntry("x_origin", "test")
                .containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.MALFORMED_PAYLOAD)
                .containsEntry(DeadLetterEnvelope.SOURCE, "settle-test")
                .containsEntry(DeadLetterEnvelope.DESTINATION, config.queue())
                .containsKeys(DeadLetterEnvelope.REASON, DeadLetterEnvelope.POSITION, DeadLetterEnvelope.LAST_FAILURE_AT);
        assertThat(handled).containsExactly("good-1");
        assertThat(broker.depth(config.queue())).isZero();
    }

    @ParameterizedTest(name = "{0} queues")
    @ValueSource(strings = {"classic", "quorum"})
    @DisplayName("a transient failure handed to the broker comes back through the delay queue, one attempt higher, and succeeds")
    void transientFailureIsRetriedThroughDelayQueue(String queueType) throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "queue-type", queueType);
        broker.declare(config);
        broker.publish(config.queue(), "flaky-1".getBytes(StandardCharsets.UTF_8), Map.of("x_origin", "test"));
        BlockingQueue<String> calls = new LinkedBlockingQueue<>();
        List<Instant> at = new CopyOnWriteArrayList<>();
        pipeline(config, (id, ctx) -> {
            at.add(Instant.now());
            calls.add(id + " attempt " + ctx.deliveryAttempt() + " retried " + ctx.headers().get(MessageHeaders.ATTEMPT_HEADER)
                    + " origin " + ctx.headers().get("x_origin"));
            if (at.size() == 1) {
                throw new TransientFailure("Kill Bill unavailable (test)", null);
            }
            return MessageHandler.Outcome.PROCESSED;
        }).start();

        assertThat(calls.poll(30, TimeUnit.SECONDS)).isEqualTo("flaky-1 attempt 1 retried null origin test");
        assertThat(calls.poll(30, TimeUnit.SECONDS)).isEqualTo("flaky-1 attempt 2 retried 1 origin test");
        assertThat(Duration.between(at.get(0), at.get(1))).as("waited in the 500ms retry queue")
                .isGreaterThanOrEqualTo(Duration.ofMillis(450));
        await().atMost(Duration.ofSeconds(10)).until(() -> broker.depth(config.queue()) == 0
                && broker.depth(config.retryQueue(Duration.ofMillis(500))) == 0);
        assertThat(broker.depth(config.deadLetterQueue())).isZero();
        assertThat(calls.poll(700, TimeUnit.MILLISECONDS)).as("no third call").isNull();
    }

    @Test
    @DisplayName("a dead-letter copy the broker cannot route fails the settlement and the original is delivered again")
    void unconfirmedDeadLetterRedeliversOriginal() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "declare-topology", "false");
        broker.declare(config);
        broker.publish(config.queue(), "poison-2".getBytes(StandardCharsets.UTF_8), Map.of());
        RabbitMqSource source = new RabbitMqSource("unroutable-test", config);
        toClose.add(() -> source.close(Duration.ofSeconds(2)));
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        source.start(received::add);
        InboundMessage first = received.poll(30, TimeUnit.SECONDS);
        assertThat(first).isNotNull();

        broker.deleteQueue(config.deadLetterQueue()); // the exchange now routes nowhere
        DeadLetterEnvelope envelope = DeadLetterEnvelope.builder().reasonCode("TEST").reason("unroutable on purpose")
                .coordinates(first.coordinates()).lastFailureAt(Instant.now()).build();
        assertThat(first.deadLetter(envelope).toCompletableFuture()).failsWithin(Duration.ofSeconds(15));

        InboundMessage again = received.poll(30, TimeUnit.SECONDS);
        assertThat(again).as("the original, delivered again").isNotNull();
        assertThat(again.payloadAsString()).isEqualTo("poison-2");
        assertThat(again.deliveryAttempt()).isEqualTo(2);
        again.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("after the broker closed the publish channel (exchange deleted) the next dead-letter copy goes through a new channel")
    void publishChannelIsReopened() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "declare-topology", "false");
        broker.declare(config);
        broker.publish(config.queue(), "poison-3".getBytes(StandardCharsets.UTF_8), Map.of());
        RabbitMqSource source = new RabbitMqSource("reopen-test", config);
        toClose.add(() -> source.close(Duration.ofSeconds(2)));
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        source.start(received::add);
        InboundMessage first = received.poll(30, TimeUnit.SECONDS);
        assertThat(first).isNotNull();

        broker.deleteExchange(config.deadLetterExchange()); // publishing to it now closes the channel (404)
        assertThat(first.deadLetter(envelope(first)).toCompletableFuture()).failsWithin(Duration.ofSeconds(15));
        InboundMessage again = received.poll(30, TimeUnit.SECONDS);
        assertThat(again).as("the original, delivered again").isNotNull();

        broker.declare(config); // the exchange is back
        again.deadLetter(envelope(again)).toCompletableFuture().get(15, TimeUnit.SECONDS);
        assertThat(broker.peek(config.deadLetterQueue())).extracting(RabbitMqTestBroker.Read::text).containsExactly("poison-3");
    }

    /*
     * The client recovers every channel the application did not close itself: a publish channel the
     * broker closed and the source replaced would come back with the next connection, one leaked
     * channel per replacement.
     */
    @Test
    @DisplayName("a publish channel replaced after a channel error does not come back when the connection recovers")
    void replacedPublishChannelIsNotRecovered() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        RabbitMqSourceConfig config = broker.config(newQueue(), "declare-topology", "false", "reconnect-delay", "500ms");
        broker.declare(config);
        for (String p : List.of("poison-4", "poison-5")) {
            broker.publish(config.queue(), p.getBytes(StandardCharsets.UTF_8), Map.of());
        }
        RabbitMqSource source = new RabbitMqSource("publish-leak-" + id, config);
        toClose.add(() -> source.close(Duration.ofSeconds(2)));
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        source.start(received::add);
        InboundMessage first = received.poll(30, TimeUnit.SECONDS);
        assertThat(first).isNotNull();

        broker.deleteExchange(config.deadLetterExchange()); // publishing to it now closes the publish channel (404)
        assertThat(first.deadLetter(envelope(first)).toCompletableFuture()).failsWithin(Duration.ofSeconds(15));
        broker.declare(config);
        InboundMessage second = received.poll(30, TimeUnit.SECONDS);
        assertThat(second).isNotNull();
        second.deadLetter(envelope(second)).toCompletableFuture().get(15, TimeUnit.SECONDS); // on a new publish channel

        RabbitMqTestBroker.closeConnection("meterstream-publish-leak-" + id);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> source.health().isConnected() && source.health().detail().contains("recovered"));
        assertThat(RabbitMqTestBroker.channelsOf("meterstream-publish-leak-" + id)).as("channels after recovery (consumer + publisher)")
                .isEqualTo(2);
        broker.publish(config.queue(), "poison-6".getBytes(StandardCharsets.UTF_8), Map.of());
        // poison-5, delivered before the connection was lost, cannot be settled any more and comes back
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            InboundMessage m;
            while ((m = received.poll()) != null) {
                m.deadLetter(envelope(m)).toCompletableFuture().handle((ok, e) -> null).get(15, TimeUnit.SECONDS);
            }
            return broker.depth(config.deadLetterQueue()) >= 3;
        });
        assertThat(broker.peek(config.deadLetterQueue())).extracting(RabbitMqTestBroker.Read::text)
                .containsExactlyInAnyOrder("poison-4", "poison-5", "poison-6");
        assertThat(RabbitMqTestBroker.counts("/", config.queue()).messages).as("left in the work queue").isZero();
    }

    private static DeadLetterEnvelope envelope(InboundMessage m) {
        return DeadLetterEnvelope.builder().reasonCode("TEST").reason("dead-lettered by the test")
                .coordinates(m.coordinates()).lastFailureAt(Instant.now()).build();
    }

    @Test
    @DisplayName("on a quorum queue a message returned by a closing consumer counts its attempt from x-delivery-count")
    void quorumDeliveryCount() throws Exception {
        RabbitMqSourceConfig config = broker.config(newQueue(), "queue-type", "quorum");
        broker.declare(config);
        broker.publish(config.queue(), "counted".getBytes(StandardCharsets.UTF_8), Map.of());
        RabbitMqSource first = new RabbitMqSource("quorum-test", config);
        toClose.add(() -> first.close(Duration.ofSeconds(1)));
        BlockingQueue<InboundMessage> received = new LinkedBlockingQueue<>();
        first.start(received::add);
        InboundMessage m1 = received.poll(30, TimeUnit.SECONDS);
        assertThat(m1).isNotNull();
        assertThat(m1.deliveryAttempt()).isEqualTo(1);
        first.close(Duration.ofMillis(100));

        RabbitMqSource second = new RabbitMqSource("quorum-test", config);
        toClose.add(() -> second.close(Duration.ofSeconds(1)));
        second.start(received::add);
        InboundMessage m2 = received.poll(30, TimeUnit.SECONDS);
        assertThat(m2).isNotNull();
        assertThat(m2.headers()).containsEntry("x-delivery-count", "1");
        assertThat(m2.deliveryAttempt()).isEqualTo(2);
        m2.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("with declare-topology=false a missing queue does not fail start: health names the queue and the key to set"
            + " (issue 13: the source is consumed once the queue exists; RabbitMqSourceHealthTest)")
    void missingQueueIsReported() {
        RabbitMqSourceConfig config = broker.config(newQueue(), "declare-topology", "false");
        RabbitMqSource source = new RabbitMqSource("missing-test", config);
        toClose.add(source);
        source.start(m -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> source.health().missingDestinations().contains(config.queue()));
        assertThat(source.health().detail()).contains("queue '" + config.queue() + "' does not exist")
                .contains("test.declare-topology=true");
    }

    @Test
    @DisplayName("refused credentials fail start with the keys to check and without the password")
    void badCredentialsFailStart() {
        RabbitMqSourceConfig config = broker.config(newQueue(), "password", "not-the-password-s3cr3t");
        RabbitMqSource source = new RabbitMqSource("credentials-test", config);
        toClose.add(source);
        assertThatThrownBy(() -> source.start(m -> { }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("test.password")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t"));
    }
}
