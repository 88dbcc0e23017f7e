package io.github.meterstream.core.rollup;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;
import java.util.UUID;

@DisplayName("JdbcRollupStore on H2 in MySQL mode")
class H2RollupStoreTest extends JdbcRollupStoreKit {

    private final JdbcDataSource dataSource = new JdbcDataSource();

    H2RollupStoreTest() {
        dataSource.setURL("jdbc:h2:mem:rollup-" + UUID.randomUUID() + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=30000");
        dataSource.setUser("sa");
    }

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }
}
