package io.github.meterstream.testkit.pipeline;

import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.deadletter.RejectionQuery;
import io.github.meterstream.core.deadletter.StoredRejection;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("ConsumerPipeline with a dead-letter store")
class DeadLetterStorePipelineTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String QUEUE = "events";

    private final InMemoryBroker broker = new InMemoryBroker();
    private final Set<String> handled = ConcurrentHashMap.newKeySet();
    private ConsumerPipeline<TestEvent> pipeline;

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close(Duration.ofSeconds(5));
        }
        broker.close();
    }

    private static JdbcDataSource h2(String url) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(url);
        ds.setUser("sa");
        return ds;
    }

    private void start(JdbcDeadLetterStore store) {
        MessageHandler<TestEvent> handler = (m, ctx) -> {
            handled.add(m.id);
            return MessageHandler.Outcome.PROCESSED;
        };
        pipeline = ConsumerPipeline.builder(new TestEvent.Contract())
                .source(new InMemoryBrokerSource("test", broker, QUEUE)).handler(handler).deadLetterStore(store).build();
        pipeline.start();
    }

    @Test
    @DisplayName("copies each confirmed dead letter with its payload, reason and origin; processed messages are not copied")
    void copies() {
        JdbcDeadLetterStore store = new JdbcDeadLetterStore(h2("jdbc:h2:mem:dlq-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1"),
                "dead_letter", Clock.systemUTC(), 4096, 100);
        store.createTableIfAbsent();
        String malformed = "{\"id\":\"b\",\"key\":\"k\",\"value\":";
        broker.publish(QUEUE, TestEvent.json("a", "k", 1));
        broker.publish(QUEUE, malformed);
        broker.publish(QUEUE, TestEvent.json("c", "k", -5));
        start(store);

        await().atMost(DEADLINE).until(() -> store.list(RejectionQuery.all()).size() == 2);
        assertThat(handled).containsExactly("a");
        assertThat(broker.peek(QUEUE + ".dlq")).hasSize(2);
        List<StoredRejection> stored = store.list(RejectionQuery.all());
        StoredRejection bad = stored.stream().filter(r -> r.trackingId() == null).findFirst().orElseThrow();
        assertThat(bad.reasonCode()).isEqualTo("MALFORMED_PAYLOAD");
        assertThat(bad.tenant()).isNull();
        assertThat(bad.source()).isEqualTo("test");
        assertThat(bad.destination()).isEqualTo(QUEUE);
        assertThat(store.find(bad.id()).orElseThrow().payload()).isEqualTo(malformed.getBytes(StandardCharsets.UTF_8));
        StoredRejection invalid = stored.stream().filter(r -> "c".equals(r.trackingId())).findFirst().orElseThrow();
        assertThat(invalid.tenant()).isEqualTo("t");
        assertThat(invalid.reasonCode()).isEqualTo("INVALID_MESSAGE");
        assertThat(invalid.reason()).contains("value");
        assertThat(invalid.state()).isEqualTo(StoredRejection.State.REJECTED);
    }

    @Test
    @DisplayName("a store that cannot be reached loses the copy only: the message is in the broker's dead letters and consumption goes on")
    void storeDown() {
        JdbcDeadLetterStore down = new JdbcDeadLetterStore(h2("jdbc:h2:tcp://127.0.0.1:1/mem:nowhere"), "dead_letter",
                Clock.systemUTC(), 4096, 100);
        broker.publish(QUEUE, TestEvent.json("c", "k", -5));
        broker.publish(QUEUE, TestEvent.json("d", "k", 4));
        start(down);

        await().atMost(DEADLINE).until(() -> handled.contains("d") && broker.peek(QUEUE + ".dlq").size() == 1);
        assertThat(pipeline.stats().deadLettered()).isEqualTo(1);
    }
}
