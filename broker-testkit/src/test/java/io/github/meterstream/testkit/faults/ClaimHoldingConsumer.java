package io.github.meterstream.testkit.faults;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.testkit.IdPayloadContract;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;

import java.time.Clock;

/**
 * A consumer in its own JVM, for {@link DatabaseFaultsTest}'s SIGKILL test: it consumes {@code
 * count} messages whose handler never returns, so it holds (and keeps renewing) a claim on each,
 * says {@code HOLDING <id>} for each, and waits to be killed.
 *
 * <p>Arguments: {@code postgresql|mariadb port table nodeId count}.
 */
public final class ClaimHoldingConsumer {

    private ClaimHoldingConsumer() {
    }

    public static void main(String[] args) throws Exception {
        String database = args[0];
        int port = Integer.parseInt(args[1]);
        JdbcIdempotencyStore store = new JdbcIdempotencyStore(database.equals("mariadb")
                ? TestDatabases.mariadb(port) : TestDatabases.postgresql(port), args[2], Clock.systemUTC(), args[3]);
        int count = Integer.parseInt(args[4]);
        InMemoryBroker broker = new InMemoryBroker();
        for (int i = 0; i < count; i++) {
            broker.publish("usage", "m" + i);
        }
        ConsumerPipeline<String> pipeline = ConsumerPipeline.builder(new IdPayloadContract())
                .source(new InMemoryBrokerSource("usage", broker, "usage"))
                .idempotencyStore(store)
                .config(PipelineConfig.builder().concurrency(count).build())
                .handler((id, ctx) -> {
                    System.out.println("HOLDING " + id);
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE); // a downstream call that never ends; the process gets killed
                    throw new AssertionError("unreachable");
                })
                .build();
        pipeline.start();
        Thread.sleep(Long.MAX_VALUE);
    }
}
