package io.github.meterstream.testkit.faults;

import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;

@DisplayName("Database faults on the real PostgreSQL server")
class PostgreSqlFaultsTest extends DatabaseFaultsTest {
    @Override
    protected DataSource dataSource(int port) {
        return TestDatabases.postgresql(port);
    }

    @Override
    protected int serverPort() {
        return TestDatabases.POSTGRESQL_PORT;
    }

    @Override
    protected String serverHost() {
        return TestDatabases.POSTGRESQL_HOST;
    }

    @Override
    protected String kind() {
        return "postgresql";
    }
}
