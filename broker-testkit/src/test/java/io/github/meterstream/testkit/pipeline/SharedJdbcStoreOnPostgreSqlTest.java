package io.github.meterstream.testkit.pipeline;

import org.junit.jupiter.api.DisplayName;

import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;

@DisplayName("Two pipelines sharing a JDBC idempotency store on the real PostgreSQL server")
class SharedJdbcStoreOnPostgreSqlTest extends SharedJdbcStoreAcrossPipelinesTest {
    @Override
    protected DataSource dataSource() throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(System.getProperty("meterstream.test.postgresql.url", "jdbc:postgresql://127.0.0.1:5432/test"));
        ds.setUser("postgres");
        try (Connection c = ds.getConnection()) {
            return ds;
        } catch (Exception e) {
            throw new AssertionError("PostgreSQL is not reachable at " + ds.getUrl() + " (start it with .ci/services.sh)", e);
        }
    }
}
