package io.github.meterstream.core.config;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A set of raw configuration values under one prefix, read through {@link ConfigKey}s. Errors name
 * the full key ({@code prefix + name}).
 */
public final class ConfigValues {

    private final String prefix;
    private final Map<String, String> values;

    private ConfigValues(String prefix, Map<String, String> values) {
        this.prefix = prefix;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Values whose keys are already relative; {@code prefix} is only used in error messages. */
    public static ConfigValues of(String prefix, Map<String, String> relativeValues) {
        return new ConfigValues(prefix, relativeValues);
    }

    /** The entries of {@code properties} whose keys start with {@code prefix}, with it removed. */
    public static ConfigValues fromProperties(String prefix, Properties properties) {
        Map<String, String> relative = new LinkedHashMap<>();
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            if (key.startsWith(prefix)) {
                relative.put(key.substring(prefix.length()), properties.getProperty(key));
            }
        }
        return new ConfigValues(prefix, relative);
    }

    /** The entries under {@code name + "."}, as their own set with a longer prefix. */
    public ConfigValues section(String name) {
        String p = name + '.';
        Map<String, String> sub = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(p)) {
                sub.put(k.substring(p.length()), v);
            }
        });
        return new ConfigValues(prefix + p, sub);
    }

    /** The names of the sections directly under this set: {@code a.b=1, c.d=2} gives {@code [a, c]}. */
    public Set<String> sectionNames() {
        Set<String> names = new TreeSet<>();
        for (String k : values.keySet()) {
            int dot = k.indexOf('.');
            if (dot > 0) {
                names.add(k.substring(0, dot));
            }
        }
        return names;
    }

    public <T> T get(ConfigKey<T> key) {
        return key.parse(prefix + key.name(), values.get(key.name()));
    }

    /** The raw value, or {@code null}. */
    public String raw(String name) {
        return values.get(name);
    }

    /** The raw entries, relative to {@link #prefix()}. */
    public Map<String, String> asMap() {
        return values;
    }

    public String prefix() {
        return prefix;
    }

    /**
     * Fails on any key that is neither declared nor under one of {@code passThroughSections} (a
     * typo would otherwise be ignored silently); the error lists the valid keys.
     */
    public void requireOnlyKnownKeys(Collection<? extends ConfigKey<?>> declared, List<String> passThroughSections) {
        Set<String> known = declared.stream().map(ConfigKey::name).collect(Collectors.toSet());
        for (String k : values.keySet()) {
            if (known.contains(k)) {
                continue;
            }
            boolean passThrough = passThroughSections.stream().anyMatch(s -> k.startsWith(s + '.'));
            if (!passThrough) {
                Set<String> valid = new TreeSet<>(known);
                passThroughSections.forEach(s -> valid.add(s + ".*"));
                throw new ConfigException(prefix + k, "is not a known key; valid keys here: " + String.join(", ", valid));
            }
        }
    }
}
