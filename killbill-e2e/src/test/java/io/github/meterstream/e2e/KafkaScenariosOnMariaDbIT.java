package io.github.meterstream.e2e;

import org.junit.jupiter.api.DisplayName;

/**
 * The broker scenarios with Kill Bill on MariaDB, its reference database: Kill Bill's MySQL schema and queues,
 * the plugin's idempotency table on MariaDB, and the outage restart on it. One class per broker, as on
 * PostgreSQL ({@link RabbitMqScenariosOnMariaDbIT}, {@link ActiveMqScenariosOnMariaDbIT}).
 */
@DisplayName("Kafka (in-process KRaft broker) -> meterstream -> Kill Bill 0.22 on MariaDB")
class KafkaScenariosOnMariaDbIT extends BrokerScenarios {

    @Override
    protected ScenarioBroker createBroker() {
        return new KafkaBroker("usage-e2e", 2);
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
