package io.github.meterstream.examples.relay;

import java.util.List;
import java.util.Optional;

/**
 * The constant mapping from Kafka topic to RabbitMQ exchange and event type: one durable topic
 * exchange per topic. A topic matches by its name after the environment prefix, so
 * {@code TST_CONTENTION_BIE_CONTENTION_DELETED_V02} and {@code PRD_CONTENTION_BIE_CONTENTION_DELETED_V02}
 * both go to {@code bie-events-contention-deleted}.
 */
public final class TopicExchanges {

    /** Where the events of one topic go. The event type is also the routing key. */
    public record Route(String topicSuffix, String exchange, String eventType) {
    }

    public static final List<Route> ROUTES = List.of(
            new Route("CONTENTION_BIE_CONTENTION_ASSOCIATED_TO_CLAIM_V02", "bie-events-contention-associated", "contention-associated"),
            new Route("CONTENTION_BIE_CONTENTION_UPDATED_V02", "bie-events-contention-updated", "contention-updated"),
            new Route("CONTENTION_BIE_CONTENTION_CLASSIFIED_V02", "bie-events-contention-classified", "contention-classified"),
            new Route("CONTENTION_BIE_CONTENTION_COMPLETED_V02", "bie-events-contention-completed", "contention-completed"),
            new Route("CONTENTION_BIE_CONTENTION_DELETED_V02", "bie-events-contention-deleted", "contention-deleted"));

    private TopicExchanges() {
    }

    public static Optional<Route> forTopic(String topic) {
        return ROUTES.stream().filter(r -> topic.equals(r.topicSuffix()) || topic.endsWith('_' + r.topicSuffix())).findFirst();
    }

    static List<String> knownSuffixes() {
        return ROUTES.stream().map(Route::topicSuffix).toList();
    }
}
