package io.github.meterstream.testkit.pipeline;

import org.junit.jupiter.api.DisplayName;

import org.h2.jdbcx.JdbcDataSource;

import javax.sql.DataSource;
import java.util.UUID;

@DisplayName("Two pipelines sharing a JDBC idempotency store on H2")
class SharedJdbcStoreOnH2Test extends SharedJdbcStoreAcrossPipelinesTest {
    private final JdbcDataSource ds = new JdbcDataSource();

    SharedJdbcStoreOnH2Test() {
        ds.setURL("jdbc:h2:mem:shared-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    @Override
    protected DataSource dataSource() {
        return ds;
    }
}
