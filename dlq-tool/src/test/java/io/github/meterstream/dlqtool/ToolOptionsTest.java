package io.github.meterstream.dlqtool;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("meterstream-dlq's options")
class ToolOptionsTest {

    @Test
    @DisplayName("are each read by the parser and listed in the README's table, and no other")
    void documented() throws Exception {
        for (String option : ToolOptions.OPTIONS) {
            List<String> args = new ArrayList<>(List.of("redrive", "--config", "f", "--source", "s"));
            args.add(option);
            if (!option.equals("--dry-run")) {
                args.add(option.equals("--since") || option.equals("--until") ? "2026-12-01T00:00:00Z" : "7");
            }
            ToolOptions.parse(args.toArray(String[]::new));
        }
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        Matcher row = Pattern.compile("^\\| (`--.*?) \\|", Pattern.MULTILINE).matcher(readme);
        TreeSet<String> documented = new TreeSet<>();
        while (row.find()) {
            Matcher option = Pattern.compile("`(--[a-z-]+)").matcher(row.group(1));
            while (option.find()) {
                documented.add(option.group(1));
            }
        }
        assertThat(documented).isEqualTo(new TreeSet<>(ToolOptions.OPTIONS));
    }

    @Test
    @DisplayName("refuse a wrong value naming the option and the rule")
    void wrongValues() {
        assertThatThrownBy(() -> ToolOptions.parse("list", "--config", "f", "--source", "s", "--limit", "0"))
                .hasMessage("--limit must be a whole number of at least 1, was '0'");
        assertThatThrownBy(() -> ToolOptions.parse("list", "--config", "f", "--source", "s", "--since", "yesterday"))
                .hasMessageContaining("--since must be an ISO-8601 instant");
        assertThatThrownBy(() -> ToolOptions.parse("list", "--config", "f", "--source", "s", "--dry-run"))
                .hasMessage("--dry-run and --rate apply to redrive only");
        assertThatThrownBy(() -> ToolOptions.parse("list", "--config", "f", "--source", "s", "--force", "x"))
                .hasMessage("unknown option --force");
    }
}
