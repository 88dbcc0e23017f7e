package io.github.meterstream.kafka.internal.fault;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.kafka.KafkaSourceConfig;
import io.github.meterstream.kafka.internal.Delivery;
import io.github.meterstream.kafka.internal.FetchedRecords;
import io.github.meterstream.kafka.internal.health.StuckCopies;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Owns what a settlement does to a Kafka record, on whichever thread settles it (the base class
 * dispatches to it) and never touching the consumer: an ack marks its offset settled, a retry puts the record back in the retry queue, a
 * dead-letter starts the copy and settles the original only once the copy is confirmed; a copy
 * that fails sends the record back to waiting with a growing delay and, when it keeps failing,
 * records it as {@link StuckCopies stuck}. A settlement of a record whose partition this member no
 * longer owns completes exceptionally: the new owner delivers it again.
 */
public final class Settler {

    private static final Logger LOG = LoggerFactory.getLogger(Settler.class);
    /** Failed copies in a row after which a retriable error too turns health red. */
    private static final int STUCK_AFTER_FAILURES = 3;

    private final String source;
    private final KafkaSourceConfig config;
    private final FetchedRecords records;
    private final DeadLetterPublisher deadLetters;
    private final StuckCopies stuckCopies;

    public Settler(String source, KafkaSourceConfig config, FetchedRecords records, DeadLetterPublisher deadLetters,
                   StuckCopies stuckCopies) {
        this.source = source;
        this.config = config;
        this.records = records;
        this.deadLetters = deadLetters;
        this.stuckCopies = stuckCopies;
    }

    /** The record is done: its offset may be committed. Any thread. */
    public CompletionStage<Void> ack(Delivery d, InboundMessage message) {
        stuckCopies.resolved(d.where()); // settled another way now: its failed copy no longer matters
        return d.partition().settled(d) ? CompletableFuture.completedFuture(null) : notOwned(message);
    }

    /**
     * Kafka has no broker-side delay: the record waits in the retry queue (its offset blocks the
     * commit) and the poll thread delivers it again after {@code delay}. Any thread.
     */
    public CompletionStage<Void> retry(Delivery d, InboundMessage message, Duration delay) {
        stuckCopies.resolved(d.where());
        if (!d.partition().backToWaiting(d)) {
            return notOwned(message);
        }
        records.waitForRetry(d.retry(delay.toNanos()));
        LOG.debug("Kafka source {}: {} retried in {}", source, message.coordinates(), delay);
        return CompletableFuture.completedFuture(null);
    }

    /** Starts the copy; the stage completes once the broker confirmed it and the original counts as settled. Any thread. */
    public CompletionStage<Void> deadLetter(Delivery d, InboundMessage message, DeadLetterEnvelope envelope) {
        if (!d.partition().isCurrent(d)) {
            return notOwned(message);
        }
        String topic = config.deadLetterTopicFor(d.record().topic());
        CompletableFuture<Void> done = new CompletableFuture<>();
        deadLetters.publish(d.record(), topic, envelope.toHeaders(config.deadLetterMaxHeaderBytes()))
                .whenComplete((metadata, error) -> {
                    if (error != null) {
                        copyFailed(d, topic, error);
                        done.completeExceptionally(error);
                    } else if (d.partition().settled(d)) {
                        if (stuckCopies.resolved(d.where())) {
                            LOG.info("Kafka source {}: dead-letter copy of {} finally confirmed", source, d.where());
                        }
                        LOG.info("Kafka source {}: dead-lettered {} to {}[{}]@{}: {}", source, message.coordinates(),
                                metadata.topic(), metadata.partition(), metadata.offset(), envelope.reasonCode());
                        done.complete(null);
                    } else {
                        done.completeExceptionally(new IllegalStateException("source " + source + " no longer owns "
                                + message.coordinates() + "; its dead-letter copy was written to " + topic
                                + " but the record will also be delivered to the partition's new owner"));
                    }
                });
        return done;
    }

    /**
     * The record goes back to waiting and is delivered again (with the next attempt number), after
     * {@code settlement-failure.retry-after} doubled for each failure in a row, up to
     * {@code settlement-failure.max-retry-after}: a copy the broker refuses for good (a record too
     * large for the topic, no permission) is then retried rarely, not every second forever, and
     * health says which record and why.
     */
    private void copyFailed(Delivery d, String topic, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        int failures = d.settlementFailures() + 1;
        Duration delay = settlementRetryDelay(failures);
        // retrying cannot fix what is not a RetriableException (Kafka's own split of its errors)
        boolean permanent = cause instanceof KafkaException && !(cause instanceof RetriableException);
        String detail = "dead-letter copy of " + d.where() + " to " + topic + " failed " + failures + " time(s) in a row"
                + (permanent ? " and the broker will not take it as it is" : "") + ": " + cause.getClass().getSimpleName()
                + ": " + cause.getMessage() + "; next try in " + delay;
        if (permanent || failures >= STUCK_AFTER_FAILURES) {
            if (stuckCopies.stuck(d.where(), d.partition().partition(), detail)) {
                LOG.error("Kafka source {}: {}; the partition's commit waits for it (health: DISCONNECTED until it is copied)",
                        source, detail);
            } else {
                LOG.warn("Kafka source {}: {}", source, detail);
            }
        } else {
            LOG.warn("Kafka source {}: {}", source, detail);
        }
        if (d.partition().backToWaiting(d)) {
            records.waitForRetry(d.afterSettlementFailure(delay.toNanos()));
        }
    }

    private Duration settlementRetryDelay(int failuresInARow) {
        Duration max = config.settlementFailureMaxRetry();
        Duration delay = config.settlementFailureRetry();
        for (int i = 1; i < failuresInARow && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) > 0 ? max : delay;
    }

    private CompletionStage<Void> notOwned(InboundMessage message) {
        return CompletableFuture.failedFuture(new IllegalStateException("source " + source + " no longer owns "
                + message.coordinates() + " (partition revoked or source closed); the record will be delivered again"));
    }
}
