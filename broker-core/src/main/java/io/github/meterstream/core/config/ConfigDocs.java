package io.github.meterstream.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one generator of configuration tables: renders {@link ConfigKey} declarations as Markdown and
 * keeps every generated table of every document in step with them. A table sits between
 * {@code <!-- BEGIN GENERATED: name -->} and {@code <!-- END GENERATED: name -->}. {@link #sync}
 * checks all tables, and rewrites them instead when the system property {@value #WRITE_PROPERTY} is
 * {@code true}; one test lists every table, so one run regenerates every document.
 */
public final class ConfigDocs {

    /** Set to {@code true} to rewrite the tables instead of checking them. */
    public static final String WRITE_PROPERTY = "meterstream.docs.write";

    private ConfigDocs() {
    }

    /** One generated table: which file, which section of it, and the keys it shows under which prefix. */
    public static final class Table {
        private final Path file;
        private final String section;
        private final String prefix;
        private final List<? extends ConfigKey<?>> keys;

        private Table(Path file, String section, String prefix, List<? extends ConfigKey<?>> keys) {
            this.file = Objects.requireNonNull(file, "file");
            this.section = Objects.requireNonNull(section, "section");
            this.prefix = Objects.requireNonNull(prefix, "prefix");
            this.keys = List.copyOf(keys);
        }

        /** The table of {@code keys}, each shown as {@code prefix + name}, in section {@code section} of {@code file}. */
        public static Table of(Path file, String section, String prefix, List<? extends ConfigKey<?>> keys) {
            return new Table(file, section, prefix, keys);
        }

        public Path file() {
            return file;
        }

        public String section() {
            return section;
        }

        public String prefix() {
            return prefix;
        }

        public List<? extends ConfigKey<?>> keys() {
            return keys;
        }

        /** The Markdown this table should hold. */
        public String markdown() {
            return markdownTable(prefix, keys);
        }

        @Override
        public String toString() {
            return file + " (" + section + ")";
        }
    }

    /** A Markdown table: key, type, default, rules, description; keys shown with {@code prefix}. */
    public static String markdownTable(String prefix, List<? extends ConfigKey<?>> keys) {
        StringBuilder sb = new StringBuilder();
        sb.append("| key | type | default | rules | description |\n");
        sb.append("|---|---|---|---|---|\n");
        for (ConfigKey<?> k : keys) {
            sb.append("| `").append(prefix).append(k.name()).append("` | ")
              .append(escape(k.type())).append(" | `")
              .append(k.isSecret() && k.defaultValue() != null ? "******" : k.defaultText()).append("` | ")
              .append(escape(String.join("; ", k.ruleTexts()))).append(k.isSecret() ? (k.ruleTexts().isEmpty() ? "secret" : "; secret") : "")
              .append(" | ").append(escape(k.description())).append(" |\n");
        }
        return sb.toString();
    }

    /** The text between the markers of {@code section} in {@code text}, or {@code null} when a marker is missing. */
    public static String section(String text, String section) {
        int b = text.indexOf(begin(section));
        int e = text.indexOf(end(section));
        return b < 0 || e < b ? null : text.substring(b + begin(section).length(), e);
    }

    /**
     * Checks every table against its declarations, or rewrites the stale ones when
     * {@value #WRITE_PROPERTY} is true. Returns one message per stale table (empty when all are
     * current), naming the file, the section and each key whose row differs, with the row as written
     * ({@code -}) and as declared ({@code +}); a missing marker is reported in either mode.
     */
    public static List<String> sync(List<Table> tables) throws IOException {
        boolean write = Boolean.getBoolean(WRITE_PROPERTY);
        Map<Path, String> texts = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Table t : tables) {
            String text = texts.computeIfAbsent(t.file, ConfigDocs::read);
            String actual = section(text, t.section);
            if (actual == null) {
                problems.add(t.file + " has no section '" + t.section + "': add the lines " + begin(t.section).trim()
                        + " and " + end(t.section));
                continue;
            }
            String expected = t.markdown();
            if (actual.equals(expected)) {
                continue;
            }
            if (write) {
                int b = text.indexOf(begin(t.section)) + begin(t.section).length();
                texts.put(t.file, text.substring(0, b) + expected + text.substring(text.indexOf(end(t.section))));
            } else {
                problems.add(difference(t, actual, expected));
            }
        }
        if (write) {
            for (Map.Entry<Path, String> e : texts.entrySet()) {
                if (!e.getValue().equals(read(e.getKey()))) {
                    Files.write(e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return problems;
    }

    /** The rows of a generated table, by the key in their first column ({@code prefix} included). */
    public static Map<String, String> rowsByKey(String table) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : table.split("\n")) {
            if (line.startsWith("| `")) {
                int close = line.indexOf('`', 3);
                rows.put(close < 0 ? line : line.substring(3, close), line);
            }
        }
        return rows;
    }

    private static String difference(Table t, String actual, String expected) {
        StringBuilder sb = new StringBuilder();
        sb.append(t.file).append(", section '").append(t.section).append("', is stale:\n");
        Map<String, String> written = rowsByKey(actual);
        Map<String, String> declared = rowsByKey(expected);
        for (Map.Entry<String, String> d : declared.entrySet()) {
            String w = written.get(d.getKey());
            if (w == null) {
                sb.append("  ").append(d.getKey()).append(": declared but not documented\n    + ").append(d.getValue()).append('\n');
            } else if (!w.equals(d.getValue())) {
                sb.append("  ").append(d.getKey()).append(": documented differently\n    - ").append(w)
                  .append("\n    + ").append(d.getValue()).append('\n');
            }
        }
        for (Map.Entry<String, String> w : written.entrySet()) {
            if (!declared.containsKey(w.getKey())) {
                sb.append("  ").append(w.getKey()).append(": documented but not declared\n    - ").append(w.getValue()).append('\n');
            }
        }
        if (sb.indexOf("\n  ") < 0) {
            sb.append("  the rows are the same but their order or the table's header differs\n");
        }
        return sb.append("  regenerate every table with -D").append(WRITE_PROPERTY).append("=true (see docs/CONFIGURATION.md)").toString();
    }

    private static String begin(String section) {
        return "<!-- BEGIN GENERATED: " + section + " -->\n";
    }

    private static String end(String section) {
        return "<!-- END GENERATED: " + section + " -->";
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
