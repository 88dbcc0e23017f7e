package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

@DisplayName("ActiveMQ Classic (in-process broker over TCP) -> meterstream -> Kill Bill 0.22")
class ActiveMqScenariosIT extends BrokerScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new ActiveMqBroker("usage-e2e");
    }

    @Override
    protected String serverName() {
        return "activemq";
    }
}
