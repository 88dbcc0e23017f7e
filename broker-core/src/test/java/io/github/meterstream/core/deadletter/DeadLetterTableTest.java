package io.github.meterstream.core.deadletter;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("The dead-letter table")
class DeadLetterTableTest {

    @Test
    @DisplayName("has the same columns in both DDL files")
    void sameColumns() {
        Map<String, List<String>> columns = JdbcDeadLetterStore.ddlColumns();
        List<String> mysql = columns.get(DeadLetterTable.DDL_MYSQL);
        assertThat(mysql).contains("id", "tenant", "payload", "replay_at").hasSize(22);
        assertThat(columns.get(DeadLetterTable.DDL_POSTGRESQL)).isEqualTo(mysql);
    }

    @Test
    @DisplayName("refuses a name that is not a plain identifier of at most 48 characters, saying the rule")
    void nameRule() {
        assertThatThrownBy(() -> new DeadLetterTable("x; DROP TABLE y")).hasMessageContaining("plain SQL identifier")
                .hasMessageContaining("x; DROP TABLE y");
        assertThatThrownBy(() -> new DeadLetterTable("t".repeat(49))).hasMessageContaining("at most 48");
        assertThat(new DeadLetterTable("t".repeat(48)).name).hasSize(48);
    }

    @Test
    @DisplayName("gives the same id to the same rejection, and another to another tenant, reason or payload")
    void ids() {
        byte[] p = "{}".getBytes();
        String id = JdbcDeadLetterStore.idOf("usage", "LATE_USAGE", "t", p);
        assertThat(id).hasSize(40).isEqualTo(JdbcDeadLetterStore.idOf("usage", "LATE_USAGE", "t", p.clone()));
        assertThat(JdbcDeadLetterStore.idOf("usage", "LATE_USAGE", null, p)).isNotEqualTo(id);
        assertThat(JdbcDeadLetterStore.idOf("usage", "UNKNOWN_TENANT", "t", p)).isNotEqualTo(id);
        assertThat(JdbcDeadLetterStore.idOf("other", "LATE_USAGE", "t", p)).isNotEqualTo(id);
        assertThat(JdbcDeadLetterStore.idOf("usage", "LATE_USAGE", "t", "[]".getBytes())).isNotEqualTo(id);
    }
}
