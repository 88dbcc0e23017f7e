package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

@DisplayName("RabbitMQ (local server) -> meterstream -> Kill Bill 0.22")
class RabbitMqScenariosIT extends BrokerScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new RabbitMqBroker("meterstream-e2e");
    }

    @Override
    protected String serverName() {
        return "rabbitmq";
    }
}
