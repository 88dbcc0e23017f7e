package io.github.meterstream.dlqtool;

import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.source.BrokerSourceFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The tool against a real broker, the same scenario for each: dead letters made by the broker's real
 * source and a pipeline are listed and dry-run (nothing moves), redriven at a limited rate through a
 * connection that is cut midway, and redriven again; a consumer then processes every message exactly
 * once, nothing lost, any second copy acknowledged as a duplicate by its idempotency store.
 */
abstract class RedriveKit {

    static final int MESSAGES = 30;
    static final Duration DEADLINE = Duration.ofSeconds(60);
    static final String PREFIX = DeadLetterTool.PLUGIN_PREFIX + "usage.";

    @TempDir
    Path dir;

    final String queue = "dlq-tool-" + UUID.randomUUID().toString().substring(0, 8);
    private final InMemoryIdempotencyStore idempotency = new InMemoryIdempotencyStore();
    private final Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
    private volatile boolean fixed;

    abstract BrokerSourceFactory factory();

    /** The adapter keys of a source on {@link #queue}; through the network {@link #cutNetwork()} cuts if {@code faulty}. */
    abstract Map<String, String> sourceKeys(boolean faulty);

    /**
     * Stops a running redrive midway, for real: RabbitMQ and ActiveMQ lose their connection (the
     * faulty network is cut); Kafka's clients ride out a cut by reconnecting, so the tool is
     * interrupted instead, as Ctrl-C would.
     */
    abstract void interrupt(Thread tool) throws Exception;

    abstract void publish(String queue, byte[] payload) throws Exception;

    /** Dead letters not dealt with yet: in the dead-letter queue, or past the tool's mark on a log. */
    abstract long waitingDeadLetters() throws Exception;

    private Path file(boolean faulty) throws Exception {
        Properties p = new Properties();
        p.setProperty(PREFIX + "type", factory().type());
        sourceKeys(faulty).forEach((k, v) -> p.setProperty(PREFIX + k, v));
        p.setProperty(PREFIX + "tenants", "any-tenant"); // the plugin's keys: the tool leaves them out
        p.setProperty(PREFIX + "pipeline.concurrency", "2");
        Path f = dir.resolve("killbill-" + UUID.randomUUID() + ".properties");
        try (var w = Files.newBufferedWriter(f)) {
            p.store(w, null);
        }
        return f;
    }

    private ConsumerPipeline<SimpleEvent> consumer() {
        MessageHandler<SimpleEvent> handler = (m, ctx) -> {
            if (!fixed) {
                throw new PermanentFailure("NOT_CONFIGURED", "event " + m.id + " names a key not configured yet");
            }
            processed.computeIfAbsent(m.id, k -> new AtomicInteger()).incrementAndGet();
            return MessageHandler.Outcome.PROCESSED;
        };
        ConsumerPipeline<SimpleEvent> p = ConsumerPipeline.builder(new SimpleEvent.Contract())
                .source(factory().create("usage", ConfigValues.of(PREFIX, sourceKeys(false)))).handler(handler)
                .idempotencyStore(idempotency).build();
        p.start();
        return p;
    }

    static final class Run {
        final int status;
        final String out;
        final String err;

        Run(int status, String out, String err) {
            this.status = status;
            this.out = out;
            this.err = err;
        }
    }

    Run tool(ByteArrayOutputStream out, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new DeadLetterTool(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                BrokerSourceFactories.of(factory())).run(args);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("lists, dry-runs, redrives through a cut, redrives again: every message processed once, none lost")
    void redriveInterruptedAndAgain() throws Exception {
        ConsumerPipeline<SimpleEvent> refusing = consumer();
        for (int i = 0; i < MESSAGES; i++) {
            publish(queue, SimpleEvent.json("e-" + i).getBytes(StandardCharsets.UTF_8));
        }
        await().atMost(DEADLINE).until(() -> refusing.stats().deadLettered() == MESSAGES);
        refusing.close(Duration.ofSeconds(5));
        await().atMost(DEADLINE).until(() -> waitingDeadLetters() == MESSAGES);

        Path direct = file(false);
        Run list = tool(new ByteArrayOutputStream(), "list", "--config", direct.toString(), "--source", "usage", "--reason", "NOT_CONFIGURED");
        assertThat(list.status).as(list.err).isZero();
        assertThat(list.out).contains("NOT_CONFIGURED").contains("trackingId=e-0").contains("seen " + MESSAGES + ", matched " + MESSAGES);
        Run show = tool(new ByteArrayOutputStream(), "show", "--config", direct.toString(), "--source", "usage", "--tracking-id", "e-7");
        assertThat(show.out).contains("payload: " + SimpleEvent.json("e-7")).contains("matched 1");
        Run dry = tool(new ByteArrayOutputStream(), "redrive", "--dry-run", "--config", direct.toString(), "--source", "usage");
        assertThat(dry.out).contains("would redrive " + MESSAGES);
        assertThat(waitingDeadLetters()).as("list, show and a dry run move nothing").isEqualTo(MESSAGES);

        // redrive at 20 per second through a network cut after about ten
        Path viaFaultyNetwork = file(true);
        ByteArrayOutputStream firstOut = new ByteArrayOutputStream();
        CompletableFuture<Run> first = new CompletableFuture<>();
        Thread toolThread = new Thread(() -> first.complete(tool(firstOut, "redrive", "--rate", "20", "--config",
                viaFaultyNetwork.toString(), "--source", "usage")), "dlq-tool-under-test");
        toolThread.start();
        await().atMost(DEADLINE).until(() -> firstOut.toString(StandardCharsets.UTF_8).split("\nredrive ").length > 10);
        interrupt(toolThread);
        Run interrupted = first.get(120, TimeUnit.SECONDS);
        assertThat(interrupted.status).as(interrupted.out + interrupted.err).isEqualTo(1);
        long left = waitingDeadLetters();
        assertThat(left).as("the cut stopped the redrive midway").isBetween(1L, (long) MESSAGES - 1);

        Run second = tool(new ByteArrayOutputStream(), "redrive", "--config", direct.toString(), "--source", "usage");
        assertThat(second.status).as(second.err).isZero();
        assertThat(second.out).contains("redriven " + left);
        assertThat(waitingDeadLetters()).isZero();

        fixed = true;
        ConsumerPipeline<SimpleEvent> fixedConsumer = consumer();
        try {
            await().atMost(DEADLINE).until(() -> processed.size() == MESSAGES && fixedConsumer.stats().oldestUnsettledSince() == null);
        } finally {
            fixedConsumer.close(Duration.ofSeconds(5));
        }
        assertThat(processed.values()).allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(waitingDeadLetters()).isZero();
    }

    @Test
    @DisplayName("a missing option or source names what is missing; an unknown source type lists the known ones")
    void usageErrors() throws Exception {
        assertThat(tool(new ByteArrayOutputStream(), "redrive", "--source", "usage").err).contains("--config is required");
        assertThat(tool(new ByteArrayOutputStream(), "purge").err).contains("must be one of [list, show, redrive]");
        Path file = file(false);
        Run noSource = tool(new ByteArrayOutputStream(), "list", "--config", file.toString(), "--source", "other");
        assertThat(noSource.status).isEqualTo(2);
        assertThat(noSource.err).contains(DeadLetterTool.PLUGIN_PREFIX + "other.type").contains("is required");
    }
}
