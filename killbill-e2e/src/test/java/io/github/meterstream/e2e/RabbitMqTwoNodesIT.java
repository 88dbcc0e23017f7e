package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

@DisplayName("two Kill Bill nodes on one PostgreSQL database consuming one RabbitMQ queue (competing consumers)")
class RabbitMqTwoNodesIT extends TwoNodeScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new RabbitMqBroker("meterstream-two-nodes");
    }

    @Override
    protected String serverName() {
        return "rabbitmq";
    }
}
