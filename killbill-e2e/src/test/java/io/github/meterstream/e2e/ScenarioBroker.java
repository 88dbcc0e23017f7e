package io.github.meterstream.e2e;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** One broker as the scenarios use it: started in the test JVM (or reached locally), published to, its dead letters read. */
interface ScenarioBroker extends AutoCloseable {

    /** A message read back from the dead-letter destination. */
    final class DeadLetter {
        final String payload;
        final Map<String, String> headers;

        DeadLetter(byte[] payload, Map<String, String> headers) {
            this.payload = new String(payload, StandardCharsets.UTF_8);
            this.headers = headers;
        }

        String reasonCode() {
            return headers.get(Meterstream.REASON_CODE_HEADER);
        }

        @Override
        public String toString() {
            return reasonCode() + " " + headers.get(Meterstream.REASON_HEADER) + " <- " + payload;
        }
    }

    /** Starts the broker (or connects to the local one); a broker that is not there fails with what to do. */
    void start() throws Exception;

    /** The plugin source's configuration, keys relative to {@code sources.<name>.}. */
    Map<String, String> sourceConfig();

    /** Publishes one message and returns once the broker confirmed it; {@code key} groups a subscription's messages. */
    void publish(String key, String payload) throws Exception;

    /** The same message published twice (Kafka: once on each of two partitions, so two consumers may take them). */
    default void publishTwice(String key, String payload) throws Exception {
        publish(key, payload);
        publish(key, payload);
    }

    /** Everything in the source's dead-letter destination, left in place. */
    List<DeadLetter> deadLetters() throws Exception;

    /** Stops the broker (or deletes what the test declared on the local one). */
    @Override
    void close() throws Exception;

    static Map<String, String> text(Map<String, ?> headers) {
        return headers.entrySet().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString(), (x, y) -> y, LinkedHashMap::new));
    }
}
