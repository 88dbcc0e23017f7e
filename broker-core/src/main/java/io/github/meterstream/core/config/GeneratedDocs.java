package io.github.meterstream.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Keeps a generated section of a Markdown file in step with {@link ConfigKey} declarations. A
 * section sits between {@code <!-- BEGIN GENERATED: name -->} and {@code <!-- END GENERATED: name -->}.
 * Tests call {@link #check}; with {@code -Dmeterstream.docs.write=true} they rewrite the section.
 */
public final class GeneratedDocs {

    private GeneratedDocs() {
    }

    /**
     * Returns {@code null} when the section of {@code file} equals the table for {@code keys};
     * otherwise rewrites it (if the system property {@code meterstream.docs.write} is true) or
     * returns a message saying how to regenerate it.
     */
    public static String check(Path file, String section, String prefix, List<? extends ConfigKey<?>> keys) throws IOException {
        String begin = "<!-- BEGIN GENERATED: " + section + " -->\n";
        String end = "<!-- END GENERATED: " + section + " -->";
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b < 0 || e < b) {
            return file + " has no section '" + section + "' (add the BEGIN/END GENERATED markers)";
        }
        String expected = ConfigDocs.markdownTable(prefix, keys);
        String actual = text.substring(b + begin.length(), e);
        if (actual.equals(expected)) {
            return null;
        }
        if (Boolean.getBoolean("meterstream.docs.write")) {
            Files.write(file, (text.substring(0, b + begin.length()) + expected + text.substring(e)).getBytes(StandardCharsets.UTF_8));
            return null;
        }
        return "section '" + section + "' of " + file + " is out of date with the ConfigKey declarations; "
                + "regenerate it with: mvn -B test -Dmeterstream.docs.write=true";
    }
}
