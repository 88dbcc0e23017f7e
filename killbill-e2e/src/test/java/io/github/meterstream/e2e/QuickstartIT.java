package io.github.meterstream.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the quickstart (./quickstart.sh)")
class QuickstartIT {

    @Test
    @DisplayName("prints the Kill Bill URL, what was published, and the usage and invoice Kill Bill reports")
    void quickstartReportsTheUsage() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Quickstart.Result result;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            result = Quickstart.run(out);
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed);

        assertThat(result.usage).isEqualTo(Map.of(UsageCatalog.API_CALL, 1234L));
        assertThat(printed).contains("Kill Bill started at http://127.0.0.1:")
                .contains("3 messages published to topic usage")
                .containsPattern("Kill Bill reports .*\\n  subscription [0-9a-f-]{36} api-call = 1234")
                .contains("USAGE").contains("12.34");
    }
}
