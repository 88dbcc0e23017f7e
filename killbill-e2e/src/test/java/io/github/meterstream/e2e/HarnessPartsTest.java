package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

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
}
