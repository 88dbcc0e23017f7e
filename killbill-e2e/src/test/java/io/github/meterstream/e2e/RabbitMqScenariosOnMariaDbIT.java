package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

/** The broker scenarios with Kill Bill on MariaDB, its reference database (see {@link KafkaScenariosOnMariaDbIT}). */
@DisplayName("RabbitMQ (local server) -> meterstream -> Kill Bill 0.22 on MariaDB")
class RabbitMqScenariosOnMariaDbIT extends BrokerScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new RabbitMqBroker("meterstream-e2e-mariadb");
    }

    @Override
    protected String serverName() {
        return "rabbitmq";
    }

    @Override
    protected KillbillServer.Database database() {
        return KillbillServer.Database.MARIADB;
    }
}
