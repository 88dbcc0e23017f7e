package io.github.meterstream.kafka;

import io.github.meterstream.testkit.ObservedSource;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Members of one consumer group")
class KafkaSourceGroupTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.shared();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static KafkaSource source(String name, String topic, String group) {
        return source(name, topic, group, Map.of());
    }

    private static KafkaSource source(String name, String topic, String group, Map<String, String> overrides) {
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", group);
        c.put("poll-timeout", "50ms");
        c.put("commit-interval", "200ms");
        c.put("revoke-timeout", "5s");
        c.put("kafka.heartbeat.interval.ms", "500");
        c.put("kafka.session.timeout.ms", "6000");
        c.putAll(overrides);
        return new KafkaSource(name, KafkaSourceConfig.of(c));
    }

    @Test
    @DisplayName("every one of 20,000 messages is handled exactly once while a member leaves and another joins mid-stream")
    void membersComeAndGo() throws Exception {
        String topic = "group-" + UUID.randomUUID().toString().substring(0, 8);
        String group = topic + "-members";
        KAFKA.createTopic(topic, 6);
        int total = 20_000;
        for (int i = 0; i < total; i++) {
            KAFKA.publishAsync(topic, "key" + (i % 200), ("key" + (i % 200) + ":id-" + i).getBytes(StandardCharsets.UTF_8));
        }
        KAFKA.flush();

        InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        Map<String, Integer> deliveries = new ConcurrentHashMap<>();
        MessageHandler<String[]> handler = (m, ctx) -> {
            handled.computeIfAbsent(m[1], k -> new AtomicInteger()).incrementAndGet();
            return MessageHandler.Outcome.PROCESSED;
        };
        PipelineConfig pipelineConfig = PipelineConfig.builder().concurrency(4).maxInFlight(500).build();
        List<ConsumerPipeline<String[]>> pipelines = new ArrayList<>();
        for (String name : List.of("member-a", "member-b", "member-c", "member-d")) {
            pipelines.add(ConsumerPipeline.builder(new IdContract())
                    .source(new ObservedSource<>(source(name, topic, group),
                            m -> deliveries.merge(m.coordinates().partition() + "@" + m.coordinates().position(), 1, Integer::sum)))
                    .handler(handler).idempotencyStore(store).config(pipelineConfig).build());
        }
        pipelines.forEach(p -> toClose.add(() -> p.close(Duration.ofSeconds(5))));
        for (int i = 0; i < 3; i++) {
            pipelines.get(i).start();
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() >= total / 4);
        pipelines.get(0).close(Duration.ofSeconds(5));
        pipelines.get(3).start();

        await().atMost(Duration.ofSeconds(90)).until(() -> handled.size() == total);
        long processed = pipelines.stream().mapToLong(p -> p.stats().processed()).sum();
        int redelivered = (int) deliveries.values().stream().filter(n -> n > 1).count();
        System.out.printf("20,000 messages: %d deliveries, %d offsets delivered more than once, revocations %s%n",
                deliveries.values().stream().mapToInt(Integer::intValue).sum(), redelivered,
                pipelines.stream().map(p -> ((KafkaSource) ((ObservedSource<?>) p.source()).delegate()).revocations()).toList());

        assertThat(handled).hasSize(total);
        assertThat(handled.values()).as("the handler saw each id once").allMatch(n -> n.get() == 1);
        assertThat(processed).isEqualTo(total);
        assertThat(deliveries).as("every offset was delivered").hasSize(total);
        // A member that leaves commits what is settled first: only records in flight at that moment
        // (at most max-in-flight plus one fetched batch) can come again.
        assertThat(redelivered).as("offsets delivered again").isLessThanOrEqualTo(pipelineConfig.maxInFlight() + 500);
    }

    @Test
    @DisplayName("a member stopped without settling anything has its records delivered again to the next one")
    void unsettledGoToTheNextMember() throws Exception {
        String topic = "stop-" + UUID.randomUUID().toString().substring(0, 8);
        String group = topic + "-members";
        KAFKA.createTopic(topic, 2);
        int n = 10;
        for (int i = 0; i < n; i++) {
            KAFKA.publish(topic, "key" + i, ("m" + i).getBytes(StandardCharsets.UTF_8), Map.of());
        }
        KafkaSource first = source("first", topic, group);
        BlockingQueue<InboundMessage> firstGot = new LinkedBlockingQueue<>();
        toClose.add(first);
        first.start(firstGot::add);
        await().atMost(Duration.ofSeconds(30)).until(() -> firstGot.size() == n);
        first.close(Duration.ZERO);

        KafkaSource next = source("next", topic, group);
        BlockingQueue<InboundMessage> nextGot = new LinkedBlockingQueue<>();
        toClose.add(next);
        next.start(nextGot::add);
        List<String> again = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            InboundMessage m = nextGot.poll(30, TimeUnit.SECONDS);
            assertThat(m).as("redelivery %d of %d", i + 1, n).isNotNull();
            again.add(m.payloadAsString());
            assertThat(m.deliveryAttempt()).as("Kafka does not count deliveries across members").isEqualTo(1);
            m.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertThat(again).containsExactlyInAnyOrderElementsOf(firstGot.stream().map(InboundMessage::payloadAsString).toList());
        assertThat(firstGot.peek().ack().toCompletableFuture())
                .as("settling on the member that let go fails").failsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("a revoke does not wait for a record the sink refused and the source holds to hand over again")
    void revokeSkipsRefused() throws Exception {
        String topic = "refused-" + UUID.randomUUID().toString().substring(0, 8);
        String group = topic + "-members";
        KAFKA.createTopic(topic, 1);
        KAFKA.publish(topic, "key", "m".getBytes(StandardCharsets.UTF_8), Map.of());
        // held far longer than the test runs, and a revoke that would wait longer than the test awaits
        KafkaSource first = source("first", topic, group, Map.of("revoke-timeout", "60s",
                "settlement-failure.retry-after", "60s"));
        AtomicInteger refused = new AtomicInteger();
        toClose.add(first);
        first.start(m -> {
            refused.incrementAndGet();
            throw new IllegalStateException("a bug in the sink");
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> refused.get() == 1);

        KafkaSource second = source("second", topic, group);
        toClose.add(second);
        second.start(m -> m.ack());
        // the partition may come back to the first member, which then fetches and refuses the record anew
        await("the first member's revoke, well within revoke-timeout").atMost(Duration.ofSeconds(20))
                .until(() -> first.revocations() > 0);
    }
}
