package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

@DisplayName("Kafka (in-process KRaft broker) -> meterstream -> Kill Bill 0.22")
class KafkaScenariosIT extends BrokerScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new KafkaBroker("usage-e2e", 2);
    }

    @Override
    protected String serverName() {
        return "kafka";
    }
}
