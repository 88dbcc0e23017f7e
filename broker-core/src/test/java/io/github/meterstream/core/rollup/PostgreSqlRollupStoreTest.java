package io.github.meterstream.core.rollup;

import io.github.meterstream.core.testdb.TestDatabases;
import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;

/** Against the real PostgreSQL CI starts ({@link TestDatabases}). */
@DisplayName("JdbcRollupStore on PostgreSQL")
class PostgreSqlRollupStoreTest extends JdbcRollupStoreKit {

    private final DataSource dataSource = TestDatabases.postgres();

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }
}
