package io.github.meterstream.core.rollup;

import io.github.meterstream.core.testdb.TestDatabases;
import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;

/** Against the real MariaDB CI starts ({@link TestDatabases}), Kill Bill's reference database. */
@DisplayName("JdbcRollupStore on MariaDB")
class MariaDbRollupStoreTest extends JdbcRollupStoreKit {

    private final DataSource dataSource = TestDatabases.mariadb();

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }
}
