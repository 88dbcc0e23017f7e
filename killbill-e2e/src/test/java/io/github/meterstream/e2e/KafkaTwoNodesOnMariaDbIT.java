package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

/** {@link KafkaTwoNodesIT} with both Kill Bill nodes on one MariaDB database. */
@DisplayName("two Kill Bill nodes on one MariaDB database consuming one Kafka topic (one consumer group)")
class KafkaTwoNodesOnMariaDbIT extends TwoNodeScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new KafkaBroker("usage-two-nodes", 4);
    }

    @Override
    protected String serverName() {
        return "kafka";
    }

    @Override
    protected KillbillServer.Database database() {
        return KillbillServer.Database.MARIADB;
    }
}
