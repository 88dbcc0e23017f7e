package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

@DisplayName("two Kill Bill nodes on one PostgreSQL database consuming one Kafka topic (one consumer group)")
class KafkaTwoNodesIT extends TwoNodeScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new KafkaBroker("usage-two-nodes", 4);
    }

    @Override
    protected String serverName() {
        return "kafka";
    }
}
