package io.github.meterstream.activemq;

import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.failure.TransientFailure;
import io.github.meterstream.core.config.ConfigValues;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.jms.DeliveryMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Settlement on a real ActiveMQ broker")
class ActiveMqSettlementTest {

    @RegisterExtension
    static final EmbeddedActiveMqBroker broker = new EmbeddedActiveMqBroker();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private ActiveMqSource source(String name, Map<String, String> extra) {
        Map<String, String> values = new HashMap<>(extra);
        values.put("broker-url", broker.tcpUrl());
        ActiveMqSource s = new ActiveMqSource(name, ActiveMqSourceConfig.from(ConfigValues.of("sources." + name + ".", values)));
        toClose.add(() -> s.close(Duration.ofSeconds(2)));
        return s;
    }

    private ConsumerPipeline<String> pipeline(ActiveMqSource source, MessageHandler<String> handler) {
        ConsumerPipeline<String> p = ConsumerPipeline.builder(new IdPayloadContract()).source(source).handler(handler)
                .config(PipelineConfig.builder().retryInProcessAttempts(1).retryInitialDelay(Duration.ofMillis(300))
                        .retryJitter(0.0).build())
                .build();
        toClose.add(0, () -> p.close(Duration.ofSeconds(5)));
        return p;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("a poison message ends in <queue>.DLQ with the envelope, its payload and its properties")
    void poisonIsDeadLettered() throws Exception {
        String queue = "usage-poison";
        broker.publish(queue, utf8("poison-1"), Map.of("x_origin", "billing-app"));
        broker.publish(queue, utf8("good-1"), Map.of());
        Map<String, Integer> handled = new ConcurrentHashMap<>();
        pipeline(source("poison", Map.of("queue", queue)), (id, ctx) -> {
            handled.merge(id, 1, Integer::sum);
            return MessageHandler.Outcome.PROCESSED;
        }).start();

        await().atMost(Duration.ofSeconds(30)).until(() -> broker.browse(queue + ".DLQ").size() == 1 && handled.containsKey("good-1"));
        EmbeddedActiveMqBroker.BrowsedMessage dead = broker.browse(queue + ".DLQ").get(0);
        assertThat(dead.payloadAsString()).isEqualTo("poison-1");
        assertThat(dead.properties())
                .containsEntry("x_origin", "billing-app")
                .containsEntry(DeadLetterEnvelope.REASON_CODE, ReasonCodes.MALFORMED_PAYLOAD)
                .containsEntry(DeadLetterEnvelope.SOURCE, "poison")
                .containsEntry(DeadLetterEnvelope.DESTINATION, queue)
                .containsKeys(DeadLetterEnvelope.REASON, DeadLetterEnvelope.POSITION, DeadLetterEnvelope.LAST_FAILURE_AT);
        await().atMost(Duration.ofSeconds(10)).until(() -> broker.depth(queue) == 0);
        assertThat(broker.depth("ActiveMQ.DLQ")).isZero();
    }

    @Test
    @DisplayName("a transient failure goes back to the broker, is redelivered after the delay with a higher attempt, and succeeds")
    void transientFailureIsRedeliveredByTheBroker() throws Exception {
        String queue = "usage-transient";
        broker.publish(queue, utf8("flaky-1"), Map.of("x_origin", "billing-app"));
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        List<Instant> times = new CopyOnWriteArrayList<>();
        pipeline(source("transient", Map.of("queue", queue)), (id, ctx) -> {
            attempts.add(ctx.deliveryAttempt());
            times.add(Instant.now());
            if (attempts.size() == 1) {
                throw new TransientFailure("Kill Bill is restarting", null);
            }
            assertThat(ctx.headers()).containsEntry("x_origin", "billing-app");
            return MessageHandler.Outcome.PROCESSED;
        }).start();

        await().atMost(Duration.ofSeconds(30)).until(() -> attempts.size() == 2 && broker.depth(queue) == 0);
        assertThat(attempts).containsExactly(1, 2);
        assertThat(Duration.between(times.get(0), times.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        assertThat(broker.depth(queue + ".DLQ")).isZero();
    }

    @Test
    @DisplayName("acknowledging one message leaves the others in flight unacknowledged")
    void ackIsPerMessage() throws Exception {
        String queue = "usage-individual";
        broker.publish(queue, List.of(utf8("a"), utf8("b"), utf8("c")), i -> Map.of());
        ActiveMqSource first = source("individual-1", Map.of("queue", queue));
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        first.start(got::add);
        List<InboundMessage> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(got.poll(30, TimeUnit.SECONDS));
        }
        three.get(1).ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        first.close(Duration.ofMillis(100));

        ActiveMqSource second = source("individual-2", Map.of("queue", queue));
        BlockingQueue<InboundMessage> again = new LinkedBlockingQueue<>();
        second.start(again::add);
        List<String> redelivered = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            InboundMessage m = again.poll(30, TimeUnit.SECONDS);
            redelivered.add(m.payloadAsString());
            assertThat(m.deliveryAttempt()).as("JMSXDeliveryCount counts the first delivery").isEqualTo(2);
            m.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertThat(redelivered).containsExactlyInAnyOrder("a", "c");
        assertThat(again.poll(300, TimeUnit.MILLISECONDS)).as("b was acknowledged for good").isNull();
    }

    @Test
    @DisplayName("a TextMessage is delivered as its UTF-8 bytes and dead-lettered as a TextMessage")
    void textMessages() throws Exception {
        String queue = "usage-text";
        broker.send(queue, false, DeliveryMode.PERSISTENT, s -> {
            javax.jms.TextMessage m = s.createTextMessage("Zürich usage ✓");
            m.setIntProperty("x_count", 3);
            return m;
        });
        ActiveMqSource source = source("text", Map.of("queue", queue));
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        source.start(got::add);
        InboundMessage m = got.poll(30, TimeUnit.SECONDS);
        assertThat(m.payload()).isEqualTo(utf8("Zürich usage ✓"));
        assertThat(m.headers()).containsEntry("x_count", "3");
        m.deadLetter(DeadLetterEnvelope.builder().reasonCode("TEST").reason("text test").coordinates(m.coordinates())
                .lastFailureAt(Instant.now()).build()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        EmbeddedActiveMqBroker.BrowsedMessage dead = broker.browse(queue + ".DLQ").get(0);
        assertThat(dead.text()).isTrue();
        assertThat(dead.payloadAsString()).isEqualTo("Zürich usage ✓");
        assertThat(dead.properties()).containsEntry("x_count", "3");
    }

    @Test
    @DisplayName("a non-persistent message is dead-lettered too, not dropped")
    void nonPersistentIsDeadLettered() throws Exception {
        String queue = "usage-non-persistent";
        broker.send(queue, false, DeliveryMode.NON_PERSISTENT, s -> s.createTextMessage("poison-np"));
        pipeline(source("non-persistent", Map.of("queue", queue, "dead-letter.queue", "usage.failed")),
                (id, ctx) -> MessageHandler.Outcome.PROCESSED).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> broker.browse("usage.failed").size() == 1);
        assertThat(broker.browse("usage.failed").get(0).payloadAsString()).isEqualTo("poison-np");
    }

    @Test
    @DisplayName("a virtual topic is consumed through Consumer.<name>.VirtualTopic.<topic>, one copy per application")
    void virtualTopic() throws Exception {
        ActiveMqSource billing = source("vt-billing", Map.of("virtual-topic", "usage", "consumer-name", "killbill"));
        ActiveMqSource audit = source("vt-audit", Map.of("virtual-topic", "VirtualTopic.usage", "consumer-name", "audit"));
        BlockingQueue<InboundMessage> billingGot = new LinkedBlockingQueue<>();
        BlockingQueue<InboundMessage> auditGot = new LinkedBlockingQueue<>();
        billing.start(billingGot::add);
        audit.start(auditGot::add);
        await().atMost(Duration.ofSeconds(30)).until(() -> billing.health().isConnected() && audit.health().isConnected());

        broker.send("VirtualTopic.usage", true, DeliveryMode.PERSISTENT, s -> s.createTextMessage("published once"));
        InboundMessage b = billingGot.poll(30, TimeUnit.SECONDS);
        InboundMessage a = auditGot.poll(30, TimeUnit.SECONDS);
        assertThat(b.payloadAsString()).isEqualTo("published once");
        assertThat(a.payloadAsString()).isEqualTo("published once");
        assertThat(b.coordinates().destination()).isEqualTo("Consumer.killbill.VirtualTopic.usage");
        b.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        a.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
