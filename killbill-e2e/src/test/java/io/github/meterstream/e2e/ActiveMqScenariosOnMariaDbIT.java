package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

/** The broker scenarios with Kill Bill on MariaDB, its reference database (see {@link KafkaScenariosOnMariaDbIT}). */
@DisplayName("ActiveMQ Classic (in-process broker over TCP) -> meterstream -> Kill Bill 0.22 on MariaDB")
class ActiveMqScenariosOnMariaDbIT extends BrokerScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new ActiveMqBroker("usage-e2e-mariadb");
    }

    @Override
    protected String serverName() {
        return "activemq";
    }

    @Override
    protected KillbillServer.Database database() {
        return KillbillServer.Database.MARIADB;
    }
}
