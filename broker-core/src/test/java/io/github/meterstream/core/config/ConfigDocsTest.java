package io.github.meterstream.core.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The configuration docs generator")
class ConfigDocsTest {

    static final ConfigKey<Integer> SIZE = ConfigKey.integer("size", 3, "How many.");
    static final ConfigKey<String> NAME = ConfigKey.string("name", "a", "What it is called.");

    static Path doc(Path dir, String table) throws Exception {
        Path file = dir.resolve("DOC.md");
        Files.write(file, ("# Doc\n<!-- BEGIN GENERATED: t -->\n" + table + "<!-- END GENERATED: t -->\nafter\n")
                .getBytes(StandardCharsets.UTF_8));
        return file;
    }

    @Test
    @DisplayName("finds nothing to say about a table that equals its declarations")
    void currentTable(@TempDir Path dir) throws Exception {
        Path file = doc(dir, ConfigDocs.markdownTable("p.", List.of(SIZE, NAME)));
        assertThat(ConfigDocs.sync(List.of(ConfigDocs.Table.of(file, "t", "p.", List.of(SIZE, NAME))))).isEmpty();
    }

    @Test
    @DisplayName("names the file, the section and each stale key, with the row as written and as declared")
    void staleTable(@TempDir Path dir) throws Exception {
        String old = ConfigDocs.markdownTable("p.", List.of(SIZE.withDefault(2), ConfigKey.string("gone", null, "Old.")));
        Path file = doc(dir, old);
        List<String> problems = ConfigDocs.sync(List.of(ConfigDocs.Table.of(file, "t", "p.", List.of(SIZE, NAME))));
        assertThat(problems).singleElement().satisfies(p -> assertThat(p)
                .contains(file + ", section 't', is stale")
                .contains("p.size: documented differently\n    - | `p.size` | int | `2` |")
                .contains("\n    + | `p.size` | int | `3` |")
                .contains("p.name: declared but not documented")
                .contains("p.gone: documented but not declared")
                .contains("-D" + ConfigDocs.WRITE_PROPERTY + "=true"));
        assertThat(Files.readString(file)).contains(old);
    }

    @Test
    @DisplayName("rewrites only the section when asked to write, keeping the text around it")
    void writesSection(@TempDir Path dir) throws Exception {
        Path file = doc(dir, "| stale |\n");
        System.setProperty(ConfigDocs.WRITE_PROPERTY, "true");
        try {
            assertThat(ConfigDocs.sync(List.of(ConfigDocs.Table.of(file, "t", "p.", List.of(SIZE))))).isEmpty();
        } finally {
            System.clearProperty(ConfigDocs.WRITE_PROPERTY);
        }
        assertThat(Files.readString(file)).isEqualTo("# Doc\n<!-- BEGIN GENERATED: t -->\n"
                + ConfigDocs.markdownTable("p.", List.of(SIZE)) + "<!-- END GENERATED: t -->\nafter\n");
    }

    @Test
    @DisplayName("reports a section whose markers are missing")
    void missingSection(@TempDir Path dir) throws Exception {
        Path file = doc(dir, "");
        assertThat(ConfigDocs.sync(List.of(ConfigDocs.Table.of(file, "other", "", List.of(SIZE)))))
                .singleElement().asString().contains("has no section 'other'");
    }
}
