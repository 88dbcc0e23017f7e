package io.github.meterstream.examples.relay;

import java.util.Map;
import java.util.Properties;

/** Relay settings for tests: quick polls and retries, everything else as an operator would write it. */
final class RelayProperties {

    private final Properties p = new Properties();

    RelayProperties(String bootstrapServers, String groupId, String databaseUrl, String databaseUser) {
        set("source.bootstrap-servers", bootstrapServers);
        set("source.topics", SampleEvents.ASSOCIATED + "," + SampleEvents.DELETED);
        set("source.group-id", groupId);
        set("source.poll-timeout", "50ms");
        set("source.kafka.auto.offset.reset", "earliest");
        set("source.kafka.session.timeout.ms", "6000");
        set("source.kafka.heartbeat.interval.ms", "500");
        set("database.url", databaseUrl);
        if (databaseUser != null) {
            set("database.user", databaseUser);
        }
        set("outbox.poll-interval", "50ms");
        set("pipeline.retry.initial-delay", "50ms");
        set("pipeline.retry.max-delay", "500ms");
        set("pipeline.circuit.open-duration", "200ms");
        set("pipeline.circuit.max-open-duration", "1s");
    }

    RelayProperties set(String relativeKey, String value) {
        p.setProperty(RelayConfig.PREFIX + relativeKey, value);
        return this;
    }

    RelayProperties setAll(Map<String, String> relative) {
        relative.forEach(this::set);
        return this;
    }

    Properties properties() {
        return p;
    }

    RelayConfig config() {
        return RelayConfig.from(p);
    }
}
