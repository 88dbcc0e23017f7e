package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.testdb.TestDatabases;
import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;

/** Against the real MariaDB CI starts ({@link TestDatabases}), Kill Bill's reference database. */
@DisplayName("JdbcDeadLetterStore on MariaDB")
class MariaDbDeadLetterStoreTest extends JdbcDeadLetterStoreKit {

    private final DataSource dataSource = TestDatabases.mariadb();

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }

    @Override
    protected DataSource unreachableDataSource() {
        return TestDatabases.mariadb("jdbc:mariadb://127.0.0.1:1/test?user=root");
    }
}
