package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Harness parts that need no server")
class HarnessPartsTest {

    @Test
    @DisplayName("the DDL splitter keeps dollar-quoted bodies whole and drops comment-only statements")
    void splitsDdl() {
        String sql = "/*! SET default_storage_engine=INNODB */;\n"
                + "CREATE TABLE t (id serial unique, s varchar(5) default ';') /*! CHARACTER SET utf8 */;\n"
                + "-- a comment; with a semicolon\n"
                + "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n";
        assertThat(SqlScript.split(sql)).hasSize(2)
                .anySatisfy(s -> assertThat(s).startsWith("CREATE TABLE t").contains("default ';'"))
                .anySatisfy(s -> assertThat(s).startsWith("CREATE FUNCTION f()").endsWith("LANGUAGE plpgsql"));
    }

    @Test
    @DisplayName("a server whose only failing healthcheck is a plugin's counts as started")
    void pluginHealthDoesNotBlockStart() {
        String pluginsOnly = "{\"main.pool.ConnectivityCheck\":{\"healthy\":true},"
                + "\"org.killbill.billing.server.healthchecks.KillbillPluginsHealthcheck\":{\"healthy\":false,"
                + "\"meterstream\":{\"message\":\"no source is configured\"}}}";
        String queueDown = "{\"org.killbill.billing.server.healthchecks.KillbillQueuesHealthcheck\":{\"healthy\":false},"
                + "\"org.killbill.billing.server.healthchecks.KillbillPluginsHealthcheck\":{\"healthy\":false}}";
        assertThat(KillbillServer.onlyPluginsUnhealthy(pluginsOnly)).isTrue();
        assertThat(KillbillServer.onlyPluginsUnhealthy(queueDown)).isFalse();
        assertThat(KillbillServer.onlyPluginsUnhealthy("<html>starting</html>")).isFalse();
    }

    @Test
    @DisplayName("MySQL's inline /*! ... */ parts stay inside their statement, where MariaDB runs them")
    void keepsInlineMySqlComments() {
        String sql = "/*! SET default_storage_engine=INNODB */;\n"
                + "CREATE TABLE rolled_up_usage (\n    record_id serial unique,\n"
                + "    account_record_id bigint /*! unsigned */ not null\n) /*! CHARACTER SET utf8 COLLATE utf8_bin */;\n"
                + "CREATE INDEX rolled_up_usage_account_record_id ON rolled_up_usage(account_record_id);\n";
        assertThat(SqlScript.split(sql)).containsExactly(
                "CREATE TABLE rolled_up_usage (\n    record_id serial unique,\n"
                        + "    account_record_id bigint /*! unsigned */ not null\n) /*! CHARACTER SET utf8 COLLATE utf8_bin */",
                "CREATE INDEX rolled_up_usage_account_record_id ON rolled_up_usage(account_record_id)");
    }

    @Test
    @DisplayName("the MariaDB schema check knows which table a statement creates")
    void tableOfCreateStatement() {
        assertThat(KillbillServer.createdTable("CREATE TABLE rolled_up_usage (\n record_id serial unique)")).isEqualTo("rolled_up_usage");
        assertThat(KillbillServer.createdTable("\n create table sessions (\n record_id serial unique)")).isEqualTo("sessions");
        assertThat(KillbillServer.createdTable("CREATE TABLE IF NOT EXISTS `Node_Infos` (id int)")).isEqualTo("node_infos");
        assertThat(KillbillServer.createdTable("DROP TABLE IF EXISTS rolled_up_usage")).isNull();
        assertThat(KillbillServer.createdTable("CREATE UNIQUE INDEX rolled_up_usage_id ON rolled_up_usage(id)")).isNull();
        assertThat(KillbillServer.createdTable("CREATE TABLESPACE ts ADD DATAFILE 'x'")).isNull();
    }

    @Test
    @DisplayName("database names are lower case identifiers of at most 63 characters that keep their unique tail")
    void databaseNames() {
        assertThat(KillbillServer.databaseName("kafka-a-postgresql-20261129-221300-1f3a"))
                .isEqualTo("kb_e2e_kafka_a_postgresql_20261129_221300_1f3a");
        String longName = "a-server-name-of-thirty-chars1-mariadb-20261129-221300-";
        String one = KillbillServer.databaseName(longName + "1f3a");
        String two = KillbillServer.databaseName(longName + "1f3b");
        assertThat(one).hasSize(KillbillServer.MAX_DATABASE_NAME).matches("[a-z0-9_]+")
                .startsWith("kb_e2e_a_server_name").endsWith("_20261129_221300_1f3a");
        assertThat(two).isNotEqualTo(one).endsWith("_1f3b");
        assertThat(KillbillServer.databaseName("Kafka-MARIADB-20261129-221300-ABCD")).isEqualTo(
                "kb_e2e_kafka_mariadb_20261129_221300_abcd");
    }

    @Test
    @DisplayName("a second node may share a PostgreSQL or MariaDB database, never an H2 file")
    void sharedDatabases() {
        KillbillServer h2 = KillbillServer.builder("h2-a").database(KillbillServer.Database.H2).build();
        KillbillServer maria = KillbillServer.builder("maria-a").database(KillbillServer.Database.MARIADB).build();
        assertThatThrownBy(() -> KillbillServer.builder("h2-b").sharedDatabase(h2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("H2");
        KillbillServer second = KillbillServer.builder("maria-b").sharedDatabase(maria).build();
        assertThat(second.database()).isEqualTo(KillbillServer.Database.MARIADB);
        assertThat(second.workDir().getFileName().toString()).startsWith("maria-b-mariadb-");
        // nothing to connect to before a start; an H2 file is never opened from the test JVM
        assertThatThrownBy(second::openConnection).isInstanceOf(IllegalStateException.class).hasMessageContaining("start it first");
        assertThatThrownBy(h2::openConnection).isInstanceOf(IllegalStateException.class).hasMessageContaining("H2");
    }
}
