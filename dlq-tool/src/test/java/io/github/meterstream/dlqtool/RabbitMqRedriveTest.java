package io.github.meterstream.dlqtool;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.rabbitmq.RabbitMqSourceFactory;
import io.github.meterstream.testkit.TcpFaultProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The tool against the real RabbitMQ on 127.0.0.1:5672: dead letters made by a real source and
 * pipeline are listed, redriven at a limited rate through a connection that is cut midway, and
 * redriven again; a consumer then processes every message exactly once, nothing lost, the second
 * copies of whatever was re-published but not yet removed acknowledged as duplicates.
 */
@DisplayName("meterstream-dlq on RabbitMQ")
class RabbitMqRedriveTest {

    private static final int MESSAGES = 30;
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String PREFIX = DeadLetterTool.PLUGIN_PREFIX + "usage.";

    @TempDir
    Path dir;

    private final String queue = "dlq-tool-" + UUID.randomUUID().toString().substring(0, 8);
    private final InMemoryIdempotencyStore idempotency = new InMemoryIdempotencyStore();
    private final Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
    private volatile boolean fixed;
    private Connection admin;

    @BeforeEach
    void connect() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(5672);
        admin = f.newConnection("dlq-tool-test");
    }

    @AfterEach
    void cleanUp() throws Exception {
        try (Channel c = admin.createChannel()) {
            for (String q : new String[] {queue, queue + ".dlq"}) {
                c.queueDelete(q);
            }
            c.exchangeDelete(queue + ".dlx");
        } finally {
            admin.close();
        }
    }

    private Properties config(int port) {
        Properties p = new Properties();
        p.setProperty(PREFIX + "type", "rabbitmq");
        p.setProperty(PREFIX + "host", "127.0.0.1");
        p.setProperty(PREFIX + "port", Integer.toString(port));
        p.setProperty(PREFIX + "queue", queue);
        p.setProperty(PREFIX + "tenants", "any-tenant"); // a plugin key: the tool leaves it out
        p.setProperty(PREFIX + "pipeline.concurrency", "2");
        return p;
    }

    private Path file(Properties p) throws Exception {
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
        var source = new RabbitMqSourceFactory().create("usage", ConfigValues.of(PREFIX, Map.of("host", "127.0.0.1",
                "queue", queue)));
        ConsumerPipeline<SimpleEvent> p = ConsumerPipeline.builder(new SimpleEvent.Contract()).source(source).handler(handler)
                .idempotencyStore(idempotency).build();
        p.start();
        return p;
    }

    private long count(String q) throws Exception {
        try (Channel c = admin.createChannel()) {
            return c.queueDeclarePassive(q).getMessageCount();
        }
    }

    private static final class Run {
        final int status;
        final String out;
        final String err;

        Run(int status, String out, String err) {
            this.status = status;
            this.out = out;
            this.err = err;
        }
    }

    private static Run tool(ByteArrayOutputStream out, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new DeadLetterTool(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                BrokerSourceFactories.of(new RabbitMqSourceFactory())).run(args);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("lists, dry-runs, redrives through a cut, redrives again: every message processed once, none lost")
    void redriveInterruptedAndAgain() throws Exception {
        ConsumerPipeline<SimpleEvent> refusing = consumer();
        try (Channel c = admin.createChannel()) {
            for (int i = 0; i < MESSAGES; i++) {
                c.basicPublish("", queue, null, SimpleEvent.json("e-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        await().atMost(DEADLINE).until(() -> refusing.stats().deadLettered() == MESSAGES);
        refusing.close(Duration.ofSeconds(5));
        assertThat(count(queue + ".dlq")).isEqualTo(MESSAGES);

        Path direct = file(config(5672));
        Run list = tool(new ByteArrayOutputStream(), "list", "--config", direct.toString(), "--source", "usage", "--reason", "NOT_CONFIGURED");
        assertThat(list.status).as(list.err).isZero();
        assertThat(list.out).contains("NOT_CONFIGURED").contains("trackingId=e-0").contains("seen " + MESSAGES + ", matched " + MESSAGES);
        Run dry = tool(new ByteArrayOutputStream(), "redrive", "--dry-run", "--config", direct.toString(), "--source", "usage");
        assertThat(dry.out).contains("would redrive " + MESSAGES);
        assertThat(count(queue + ".dlq")).as("a list or a dry run moves nothing").isEqualTo(MESSAGES);

        // redrive at 20 per second through a proxy, cut after about ten
        try (TcpFaultProxy proxy = new TcpFaultProxy("127.0.0.1", 5672)) {
            Path viaProxy = file(config(proxy.port()));
            ByteArrayOutputStream firstOut = new ByteArrayOutputStream();
            CompletableFuture<Run> first = CompletableFuture.supplyAsync(() -> tool(firstOut, "redrive", "--rate", "20", "--config",
                    viaProxy.toString(), "--source", "usage"));
            await().atMost(DEADLINE).until(() -> firstOut.toString(StandardCharsets.UTF_8).split("\nredrive ").length > 10);
            proxy.cut();
            Run interrupted = first.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(interrupted.status).as(interrupted.out + interrupted.err).isEqualTo(1);
        }
        long leftInDlq = count(queue + ".dlq");
        assertThat(leftInDlq).as("the cut stopped the redrive midway").isBetween(1L, (long) MESSAGES - 1);

        Run second = tool(new ByteArrayOutputStream(), "redrive", "--config", direct.toString(), "--source", "usage");
        assertThat(second.status).as(second.err).isZero();
        assertThat(second.out).contains("redriven " + leftInDlq);
        assertThat(count(queue + ".dlq")).isZero();

        fixed = true;
        ConsumerPipeline<SimpleEvent> fixedConsumer = consumer();
        try {
            await().atMost(DEADLINE).until(() -> processed.size() == MESSAGES && count(queue) == 0
                    && fixedConsumer.stats().inFlight() == 0);
        } finally {
            fixedConsumer.close(Duration.ofSeconds(5));
        }
        assertThat(processed.values()).allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(fixedConsumer.stats().processed()).isEqualTo(MESSAGES);
        assertThat(count(queue + ".dlq")).isZero();
    }

    @Test
    @DisplayName("a missing option or source names what is missing; an unknown source type lists the known ones")
    void usageErrors() throws Exception {
        assertThat(tool(new ByteArrayOutputStream(), "redrive", "--source", "usage").err).contains("--config is required");
        assertThat(tool(new ByteArrayOutputStream(), "purge").err).contains("must be one of [list, show, redrive]");
        Path file = file(config(5672));
        Run noSource = tool(new ByteArrayOutputStream(), "list", "--config", file.toString(), "--source", "other");
        assertThat(noSource.status).isEqualTo(2);
        assertThat(noSource.err).contains(DeadLetterTool.PLUGIN_PREFIX + "other.type").contains("is required");
        Properties kafka = config(5672);
        kafka.setProperty(PREFIX + "type", "pulsar");
        Run unknown = tool(new ByteArrayOutputStream(), "list", "--config", file(kafka).toString(), "--source", "usage");
        assertThat(unknown.err).contains("unknown source type 'pulsar'").contains("rabbitmq");
    }
}
