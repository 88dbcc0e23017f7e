package io.github.meterstream.kafka;

import io.github.meterstream.core.source.InboundMessage;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("What a Kafka source commits")
class KafkaSourceOffsetsTest {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.shared();

    private final List<KafkaSource> sources = new ArrayList<>();

    @AfterEach
    void closeSources() {
        sources.forEach(s -> s.close(Duration.ofSeconds(2)));
    }

    private String topicWith(int records) throws Exception {
        String topic = "offsets-" + UUID.randomUUID().toString().substring(0, 8);
        KAFKA.createTopic(topic, 1);
        for (int i = 0; i < records; i++) {
            KAFKA.publishAsync(topic, null, ("r" + i).getBytes(StandardCharsets.UTF_8));
        }
        KAFKA.flush();
        return topic;
    }

    private KafkaSource source(String topic) {
        Map<String, String> c = new HashMap<>();
        c.put("bootstrap-servers", KAFKA.bootstrapServers());
        c.put("topics", topic);
        c.put("group-id", topic + "-group");
        c.put("poll-timeout", "50ms");
        c.put("commit-interval", "100ms");
        KafkaSource s = new KafkaSource("offsets", KafkaSourceConfig.of(c));
        sources.add(s);
        return s;
    }

    private static InboundMessage next(BlockingQueue<InboundMessage> q) throws InterruptedException {
        InboundMessage m = q.poll(30, TimeUnit.SECONDS);
        assertThat(m).as("a message within 30 s").isNotNull();
        return m;
    }

    @Test
    @DisplayName("records fetched when pause() is called are held, not committed, and delivered in order after resume()")
    void heldWhilePaused() throws Exception {
        int n = 50;
        String topic = topicWith(n);
        KafkaSource source = source(topic);
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        AtomicReference<KafkaSource> self = new AtomicReference<>(source);
        source.start(m -> {
            if (m.coordinates().position().equals("0")) {
                self.get().pause(); // what the pipeline does at max-in-flight, from inside accept
            }
            got.add(m);
        });
        InboundMessage first = next(got);
        first.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> KAFKA.committedOffset(topic + "-group", topic) == 1L);
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5))
                .until(() -> got.isEmpty() && KAFKA.committedOffset(topic + "-group", topic) == 1L);

        source.resume();
        List<Long> offsets = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            InboundMessage m = next(got);
            offsets.add(Long.parseLong(m.coordinates().position()));
            m.ack();
        }
        assertThat(offsets).as("held records in offset order, none skipped").isSorted().hasSize(n - 1).doesNotHaveDuplicates();
        assertThat(offsets.get(0)).isEqualTo(1L);
        await().atMost(Duration.ofSeconds(30)).until(() -> KAFKA.committedOffset(topic + "-group", topic) == n);
    }

    @Test
    @DisplayName("a record waiting for a retry holds the commit back while the records behind it go on, then comes back with attempt 2")
    void retryHoldsTheCommit() throws Exception {
        String topic = topicWith(5);
        KafkaSource source = source(topic);
        BlockingQueue<InboundMessage> got = new LinkedBlockingQueue<>();
        source.start(got::add);
        InboundMessage first = next(got);
        assertThat(first.coordinates().position()).isEqualTo("0");
        first.retryAfter(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        for (int i = 1; i < 5; i++) {
            InboundMessage m = next(got);
            assertThat(m.coordinates().position()).isEqualTo(Integer.toString(i));
            m.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        InboundMessage again = next(got);
        assertThat(again.coordinates().position()).isEqualTo("0");
        assertThat(again.deliveryAttempt()).isEqualTo(2);
        assertThat(KAFKA.committedOffset(topic + "-group", topic)).as("commit while offset 0 waited").isLessThanOrEqualTo(0L);
        again.ack().toCompletableFuture().get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> KAFKA.committedOffset(topic + "-group", topic) == 5L);
    }
}
