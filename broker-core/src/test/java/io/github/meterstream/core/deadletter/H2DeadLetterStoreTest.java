package io.github.meterstream.core.deadletter;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;
import java.util.UUID;

/** H2 the way Kill Bill runs it for development: emulating MySQL. */
@DisplayName("JdbcDeadLetterStore on H2 in MySQL mode")
class H2DeadLetterStoreTest extends JdbcDeadLetterStoreKit {

    private final DataSource dataSource = h2("jdbc:h2:mem:dlq-" + UUID.randomUUID() + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");

    static JdbcDataSource h2(String url) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(url);
        ds.setUser("sa");
        return ds;
    }

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }

    @Override
    protected DataSource unreachableDataSource() {
        return h2("jdbc:h2:tcp://127.0.0.1:1/mem:nowhere;MODE=MySQL");
    }
}
