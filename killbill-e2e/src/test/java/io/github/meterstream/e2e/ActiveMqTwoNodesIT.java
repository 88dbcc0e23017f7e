package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

@DisplayName("two Kill Bill nodes on one PostgreSQL database consuming one ActiveMQ queue (competing consumers)")
class ActiveMqTwoNodesIT extends TwoNodeScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new ActiveMqBroker("usage-two-nodes");
    }

    @Override
    protected String serverName() {
        return "activemq";
    }
}
