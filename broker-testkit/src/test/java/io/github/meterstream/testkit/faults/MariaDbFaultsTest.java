package io.github.meterstream.testkit.faults;

import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;

@DisplayName("Database faults on the real MariaDB server (Kill Bill's reference database)")
class MariaDbFaultsTest extends DatabaseFaultsTest {
    @Override
    protected DataSource dataSource(int port) {
        return TestDatabases.mariadb(port);
    }

    @Override
    protected int serverPort() {
        return TestDatabases.MARIADB_PORT;
    }

    @Override
    protected String serverHost() {
        return TestDatabases.MARIADB_HOST;
    }

    @Override
    protected String kind() {
        return "mariadb";
    }
}
