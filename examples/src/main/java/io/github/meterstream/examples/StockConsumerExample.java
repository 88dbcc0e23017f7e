package io.github.meterstream.examples;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.deadletter.DeadLetterReplay;
import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.deadletter.RejectionQuery;
import io.github.meterstream.core.deadletter.StoredRejection;
import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.testkit.InMemoryBroker;
import io.github.meterstream.testkit.InMemoryBrokerSource;
import org.h2.jdbcx.JdbcDataSource;

import java.time.Clock;
import java.time.Duration;

/**
 * broker-core reused for something that is not Kill Bill: warehouse stock movements applied to a
 * database exactly once, in order per SKU, with bad movements dead-lettered. The same pipeline,
 * idempotency store and error policy the Kill Bill plugin uses; only the contract and the handler
 * are this example's own. Swap the in-memory source for a Kafka, RabbitMQ or ActiveMQ one to run
 * it on a real broker. Rejected movements are also kept in a {@link JdbcDeadLetterStore}; once the
 * cause is fixed (a SKU added), they are replayed through the same rules and applied once.
 *
 * <p>Run {@link #main} from an IDE, or through its test: {@code mvn -B -pl examples -am verify}.
 */
public final class StockConsumerExample {

    private StockConsumerExample() {
    }

    public static void main(String[] args) throws Exception {
        JdbcDataSource db = new JdbcDataSource();
        db.setURL("jdbc:h2:mem:stock;DB_CLOSE_DELAY=-1");
        StockLedger ledger = new StockLedger(db);
        ledger.createSchema();
        ledger.addSku("W1", "CHAIR-RED", 10);
        ledger.addSku("W1", "TABLE-OAK", 2);
        JdbcIdempotencyStore store = new JdbcIdempotencyStore(db, JdbcIdempotencyStore.DEFAULT_TABLE_NAME, Clock.systemUTC(), "example");
        store.createTableIfAbsent();

        InMemoryBroker broker = InMemoryBroker.named("example");
        broker.publish("stock", "{\"eventId\":\"e-1\",\"warehouse\":\"W1\",\"sku\":\"CHAIR-RED\",\"delta\":-3}");
        broker.publish("stock", "{\"eventId\":\"e-1\",\"warehouse\":\"W1\",\"sku\":\"CHAIR-RED\",\"delta\":-3}"); // a redelivery
        broker.publish("stock", "{\"eventId\":\"e-2\",\"warehouse\":\"W1\",\"sku\":\"TABLE-OAK\",\"delta\":-5}"); // would go negative
        broker.publish("stock", "{\"eventId\":\"e-3\",\"warehouse\":\"W1\",\"sku\":\"LAMP\",\"delta\":4}");       // unknown SKU
        broker.publish("stock", "{\"eventId\":\"e-4\",\"warehouse\":\"W1\",\"sku\":\"TABLE-OAK\",\"delta\":6}");

        // a searchable copy of every dead letter, beside the broker's dead-letter queue, for people to fix and replay
        JdbcDeadLetterStore rejections = new JdbcDeadLetterStore(db, JdbcDeadLetterStore.DEFAULT_TABLE_NAME, Clock.systemUTC(), 16_384, 10_000);
        rejections.createTableIfAbsent();

        ConsumerPipeline<StockAdjustment> pipeline = pipeline(new InMemoryBrokerSource("stock", broker, "stock"), null, ledger, store,
                rejections);
        pipeline.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        // nothing unsettled: none in flight, held for a retry or waiting on a claim
        while (pipeline.stats().received() < 5 || pipeline.stats().oldestUnsettledSince() != null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the example did not finish: " + pipeline.stats());
            }
            Thread.sleep(20);
        }
        pipeline.close();

        System.out.println("stock: " + ledger.snapshot());
        System.out.println("pipeline: " + pipeline.stats());
        for (InMemoryBroker.StoredMessage dead : broker.peek("stock.dlq")) {
            System.out.println("dead-lettered " + dead.headers().get(DeadLetterEnvelope.TRACKING_ID) + ": "
                    + dead.headers().get(DeadLetterEnvelope.REASON_CODE) + " - " + dead.headers().get(DeadLetterEnvelope.REASON));
        }

        // The warehouse starts stocking lamps: the movements refused for an unknown SKU are replayed
        // through a pipeline built like the live one, so the same rules decide and nothing applies twice.
        ledger.addSku("W1", "LAMP", 0);
        DeadLetterReplay replay = new DeadLetterReplay(rejections, (source, listener) -> pipeline(source, listener, ledger, store,
                rejections));
        RejectionQuery unknownSku = RejectionQuery.builder().reasonCode("UNKNOWN_SKU").state(StoredRejection.State.REJECTED).build();
        System.out.println("replay dry run: " + replay.dryRun(unknownSku).counts());
        System.out.println("replay: " + replay.replay(unknownSku, "example", Duration.ofSeconds(10)).counts());
        System.out.println("stock after replay: " + ledger.snapshot());
    }

    /** The live pipeline and each replay's are built alike: same contract, rules, handler and stores. */
    private static ConsumerPipeline<StockAdjustment> pipeline(BrokerSource source, PipelineListener listener, StockLedger ledger,
                                                              JdbcIdempotencyStore store, JdbcDeadLetterStore rejections) {
        return ConsumerPipeline.builder(new StockAdjustmentContract())
                .source(source)
                .validator(ledger)
                .handler(ledger)
                .idempotencyStore(store)
                .deadLetterStore(rejections)
                .listener(listener)
                .config(PipelineConfig.builder().concurrency(2).build())
                .build();
    }
}
