package io.github.meterstream.killbill;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's documents name keys in prose too ("renewed every third of `pipeline.idempotency.lease`").
 * Such a name must be one an operator can find: the full key, the key after the plugin prefix
 * ({@code sources.<name>.pipeline.idempotency.lease}), or the key inside a source's section
 * ({@code pipeline.idempotency.lease}, {@code dead-letter.queue}). A shorter tail
 * ({@code idempotency.lease}) reads like a plugin-wide key that does not exist, and fails here. The
 * keys that exist are the rows of the generated tables, which {@link DocumentedConfigKeysTest} holds
 * to the code.
 */
@DisplayName("Keys named in the operator's documents")
class ProseConfigKeysTest {

    static final String PREFIX = MeterstreamConfigProperties.PREFIX;
    static final String SOURCE = "sources.<name>.";
    static final Path ROOT = Path.of("..");
    /** Documents written for Kill Bill operators; broker-core's own docs name pipeline keys without a source. */
    static final List<String> OPERATOR_DOCS = List.of("README.md", "killbill-usage-plugin/README.md", "docs/RELIABILITY.md",
            "docs/MESSAGE-FORMAT.md", "docs/CONFIGURATION.md", "docs/OPERATIONS.md", "docs/REJECTED-USAGE.md", "killbill-e2e/README.md", "dlq-tool/README.md");
    static final Pattern TABLE_KEY = Pattern.compile("^\\| `(" + Pattern.quote(PREFIX) + "[^`]+)` \\|", Pattern.MULTILINE);
    static final Pattern QUOTED = Pattern.compile("`([a-z][a-z0-9-]*(?:\\.[a-z<>][a-z0-9<>-]*)+)(?:=[^`]*)?`");

    /** Every full key of the generated tables, in any document. */
    static Set<String> knownKeys() throws IOException {
        Set<String> keys = new TreeSet<>();
        List<Path> docs = new ArrayList<>();
        try (var files = Files.walk(ROOT, 3)) {
            files.filter(p -> p.toString().endsWith(".md") && !p.toString().contains("/target/")).forEach(docs::add);
        }
        for (Path p : docs) {
            Matcher m = TABLE_KEY.matcher(Files.readString(p, StandardCharsets.UTF_8));
            while (m.find()) {
                keys.add(m.group(1));
            }
        }
        return keys;
    }

    /** The full key {@code name} is a too-short tail of, or null when it is a findable name (or no key at all). */
    static String tooShortTailOf(String name, Set<String> keys) {
        for (String key : keys) {
            String relative = key.substring(PREFIX.length());
            String inSource = relative.startsWith(SOURCE) ? relative.substring(SOURCE.length()) : null;
            if (key.equals(name) || relative.equals(name) || name.equals(inSource)) {
                return null;
            }
        }
        for (String key : keys) {
            if (key.endsWith('.' + name)) {
                return key;
            }
        }
        return null;
    }

    /** The shortest name of {@code key} an operator finds: inside a source's section, or after the prefix. */
    static String findableName(String key) {
        String relative = key.substring(PREFIX.length());
        return relative.startsWith(SOURCE) ? relative.substring(SOURCE.length()) : relative;
    }

    @Test
    @DisplayName("are the full key, the key after the prefix, or the key in a source's section")
    void findable() throws IOException {
        Set<String> keys = knownKeys();
        assertThat(keys).as("keys of the generated tables").anyMatch(k -> k.endsWith(".pipeline.idempotency.lease"));
        List<String> problems = new ArrayList<>();
        for (String doc : OPERATOR_DOCS) {
            Path p = ROOT.resolve(doc);
            if (!Files.exists(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = QUOTED.matcher(lines.get(i));
                while (m.find()) {
                    String key = tooShortTailOf(m.group(1), keys);
                    if (key != null) {
                        problems.add(doc + ':' + (i + 1) + ": `" + m.group(1) + "` is part of " + key
                                + "; write `" + findableName(key) + "` or the full key");
                    }
                }
            }
        }
        assertThat(problems).as("key names an operator cannot find").isEmpty();
    }

    @Test
    @DisplayName("a short tail of a source's key is caught, the names an operator finds are not")
    void rule() {
        Set<String> keys = Set.of(PREFIX + "sources.<name>.pipeline.idempotency.lease", PREFIX + "idempotency.retention",
                PREFIX + "sources.<name>.dead-letter.queue");
        assertThat(tooShortTailOf("idempotency.lease", keys)).isEqualTo(PREFIX + "sources.<name>.pipeline.idempotency.lease");
        assertThat(tooShortTailOf("pipeline.idempotency.lease", keys)).isNull();
        assertThat(tooShortTailOf("sources.<name>.pipeline.idempotency.lease", keys)).isNull();
        assertThat(tooShortTailOf("idempotency.retention", keys)).isNull();
        assertThat(tooShortTailOf("dead-letter.queue", keys)).isNull();
        assertThat(tooShortTailOf("io.github.meterstream", keys)).isNull();
    }
}
