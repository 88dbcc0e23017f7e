package io.github.meterstream.core.idempotency;

import java.util.UUID;
import javax.sql.DataSource;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.DisplayName;

@DisplayName("JdbcIdempotencyStore on H2")
class H2JdbcIdempotencyStoreTest extends JdbcIdempotencyStoreCompatibilityKit {

    private final DataSource dataSource = h2("jdbc:h2:mem:idem-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");

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
        // Port 1 (tcpmux) has no listener: the H2 client's connection is refused at once.
        return h2("jdbc:h2:tcp://127.0.0.1:1/mem:nowhere");
    }
}
