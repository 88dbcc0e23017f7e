package io.github.meterstream.core.idempotency;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("JdbcIdempotencyStore set-up")
class JdbcIdempotencyStoreSetupTest {

    private static final DataSource UNUSED = new JdbcDataSource();

    @Test
    @DisplayName("the MySQL/H2 and PostgreSQL DDL files define the same columns with the same types")
    void ddlFilesDefineSameColumns() throws IOException {
        List<String> mysql = columns("ddl.sql");

        assertThat(mysql).containsExactly("key_namespace varchar(128) not null", "key_scope varchar(128) not null",
                "key_id varchar(128) not null", "fingerprint varchar(128) not null", "state varchar(16) not null",
                "claim_token varchar(64) not null", "claimed_by varchar(255) not null", "lease_until bigint not null", "created_at bigint not null",
                "updated_at bigint not null");
        assertThat(columns("ddl-postgresql.sql")).isEqualTo(mysql);
    }

    /** The column lines of the CREATE TABLE, normalised: "name type constraints", lower case. */
    private static List<String> columns(String resource) throws IOException {
        String ddl;
        try (InputStream in = JdbcIdempotencyStore.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource + " on the classpath next to JdbcIdempotencyStore").isNotNull();
            ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> columns = new ArrayList<>();
        Matcher m = Pattern.compile("^\\s+([a-z_]+\\s+[A-Za-z]+(\\(\\d+\\))?[^,\\n]*),?$", Pattern.MULTILINE).matcher(ddl);
        while (m.find()) {
            columns.add(m.group(1).trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT));
        }
        return columns;
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"", "1table", "idem; DROP TABLE accounts", "idem-keys", "\"idem\"", "schema.idem",
            "idem keys", "idem_keys_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    @DisplayName("a table name that is not a plain identifier is refused before any SQL is built")
    void rejectsUnsafeTableNames(String name) {
        assertThatThrownBy(() -> new JdbcIdempotencyStore(UNUSED, name, Clock.systemUTC(), "node"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("plain SQL identifier");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"meterstream_idempotency", "_idem", "Idem2", "kb_plugin_meterstream_keys"})
    @DisplayName("a plain identifier is accepted as table name")
    void acceptsPlainTableNames(String name) {
        assertThat(new JdbcIdempotencyStore(UNUSED, name, Clock.systemUTC(), "node").toString()).contains(name);
    }

    @Test
    @DisplayName("the table name configuration key refuses an unsafe name and names the key")
    void tableNameConfigKeyRefusesUnsafeName() {
        assertThat(JdbcIdempotencyStore.TABLE_NAME.parse("x.idempotency.jdbc.table", null))
                .isEqualTo("meterstream_idempotency");
        assertThatThrownBy(() -> JdbcIdempotencyStore.TABLE_NAME.parse("x.idempotency.jdbc.table", "a;b"))
                .hasMessageContaining("x.idempotency.jdbc.table").hasMessageContaining("plain SQL identifier");
    }

    @Test
    @DisplayName("the DDL is chosen from the database product name, and an unknown database is refused by name")
    void ddlChosenByProductName() {
        assertThat(JdbcIdempotencyStore.ddlResourceFor("PostgreSQL")).isEqualTo("ddl-postgresql.sql");
        assertThat(JdbcIdempotencyStore.ddlResourceFor("MySQL")).isEqualTo("ddl.sql");
        assertThat(JdbcIdempotencyStore.ddlResourceFor("MariaDB")).isEqualTo("ddl.sql");
        assertThat(JdbcIdempotencyStore.ddlResourceFor("H2")).isEqualTo("ddl.sql");
        assertThatThrownBy(() -> JdbcIdempotencyStore.ddlResourceFor("Oracle")).hasMessageContaining("Oracle");
    }

    @Test
    @DisplayName("a unique-key violation is recognised by SQLState class 23 or MySQL error 1062, nothing else")
    void duplicateKeyDetection() {
        assertThat(JdbcIdempotencyStore.isDuplicateKey(new SQLException("dup", "23505"))).isTrue();
        assertThat(JdbcIdempotencyStore.isDuplicateKey(new SQLException("dup", "23000", 1062))).isTrue();
        assertThat(JdbcIdempotencyStore.isDuplicateKey(new SQLException("dup", null, 1062))).isTrue();
        SQLException chained = new SQLException("batch failed", "HY000");
        chained.setNextException(new SQLException("dup", "23505"));
        assertThat(JdbcIdempotencyStore.isDuplicateKey(chained)).isTrue();
        assertThat(JdbcIdempotencyStore.isDuplicateKey(new SQLException("refused", "08001"))).isFalse();
        assertThat(JdbcIdempotencyStore.isDuplicateKey(new SQLException("deadlock", "40001", 1213))).isFalse();
    }

    @Test
    @DisplayName("the default node id is the host name plus a suffix drawn per run, so two nodes on one host never share it")
    void defaultNodeIdIsUniquePerRun() throws Exception {
        String id = JdbcIdempotencyStore.defaultNodeId();
        assertThat(id).startsWith(java.net.InetAddress.getLocalHost().getHostName().replace('/', '_') + "-")
                .matches(".+-[0-9a-f]{8}").doesNotContain("/");
        assertThat(JdbcIdempotencyStore.isValidNodeId(id)).isTrue();
    }
}
