package io.github.meterstream.kafka.internal.health;

import io.github.meterstream.core.source.SourceHealth;

import java.util.Collection;

/**
 * The base class's health holder as the Kafka parts see it: {@code KafkaSource} implements it with
 * {@code AbstractBrokerSource}'s methods, so that keeping the {@code since} of a connection that is
 * still being tried, and logging the errors at a bounded rate, is done in one place for every adapter.
 */
public interface HealthReport {

    SourceHealth current();

    void report(SourceHealth health);

    /** A connection attempt failed with {@code detail} (naming the key to check); {@code since} is kept. */
    void attemptFailed(String detail);

    /** Still trying, no error: {@code since} is kept. */
    void stillConnecting(String detail);

    /** The configured topics the cluster says do not exist; empty when all do. */
    void missingTopics(Collection<String> topics);
}
