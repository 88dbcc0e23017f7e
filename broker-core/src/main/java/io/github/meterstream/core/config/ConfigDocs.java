package io.github.meterstream.core.config;

import java.util.List;

/** Renders {@link ConfigKey} declarations as the Markdown tables of {@code docs/CONFIGURATION.md}. */
public final class ConfigDocs {

    private ConfigDocs() {
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

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
