package io.github.meterstream.testkit.pipeline;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.DisplayName;

import javax.sql.DataSource;
import java.sql.Connection;

@DisplayName("Two pipelines sharing a JDBC idempotency store on the real PostgreSQL server")
class SharedJdbcStoreOnPostgreSqlTest extends SharedJdbcStoreAcrossPipelinesTest {

    private HikariDataSource pool;

    // Pooled, as Kill Bill's data source is: without a pool every store operation forked a new
    // PostgreSQL backend, and the run took 75-110 s instead of seconds (and timed out under load).
    @Override
    protected DataSource dataSource() throws Exception {
        if (pool == null) {
            pool = new HikariDataSource();
            pool.setJdbcUrl(System.getProperty("meterstream.test.postgresql.url", "jdbc:postgresql://127.0.0.1:5432/test"));
            pool.setUsername("postgres");
            pool.setMaximumPoolSize(8);
        }
        try (Connection c = pool.getConnection()) {
            return pool;
        } catch (Exception e) {
            throw new AssertionError("PostgreSQL is not reachable at " + pool.getJdbcUrl() + " (start it with .ci/services.sh)", e);
        }
    }

    @Override
    protected void closeDataSource() {
        if (pool != null) {
            pool.close();
        }
    }
}
