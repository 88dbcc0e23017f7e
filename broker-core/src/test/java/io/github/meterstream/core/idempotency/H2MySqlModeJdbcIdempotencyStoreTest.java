package io.github.meterstream.core.idempotency;

import java.util.UUID;
import javax.sql.DataSource;

import org.junit.jupiter.api.DisplayName;

/** H2 the way Kill Bill runs it for development: emulating MySQL. */
@DisplayName("JdbcIdempotencyStore on H2 in MySQL mode")
class H2MySqlModeJdbcIdempotencyStoreTest extends JdbcIdempotencyStoreCompatibilityKit {

    private final DataSource dataSource = H2JdbcIdempotencyStoreTest.h2("jdbc:h2:mem:idem-mysql-" + UUID.randomUUID()
            + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");

    @Override
    protected DataSource dataSource() {
        return dataSource;
    }

    @Override
    protected DataSource unreachableDataSource() {
        return H2JdbcIdempotencyStoreTest.h2("jdbc:h2:tcp://127.0.0.1:1/mem:nowhere;MODE=MySQL");
    }
}
