package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.testdb.TestDatabases;
import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;

/** Against the real PostgreSQL CI starts ({@link TestDatabases}). */
@DisplayName("JdbcDeadLetterStore on PostgreSQL")
class PostgreSqlDeadLetterStoreTest extends JdbcDeadLetterStoreKit {

    private final DataSource dataSource = TestDatabases.postgres();

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }

    @Override
    protected DataSource unreachableDataSource() {
        return TestDatabases.postgres("jdbc:postgresql://127.0.0.1:1/test");
    }
}
