package io.github.meterstream.core.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One configuration key, declared once: its name, type, default, description and rules. The same
 * declaration parses and validates the value, prints it safely (secrets masked) and generates the
 * row of every configuration table ({@link ConfigDocs}), so code and docs cannot drift.
 *
 * <p>Names are relative ({@code retry.initial-delay}); the caller's prefix is added when reading,
 * and appears in every error message.
 *
 * @param <T> the parsed type
 */
public final class ConfigKey<T> {

    private final String name;
    private final String type;
    private final T defaultValue;
    private final boolean required;
    private final String description;
    private final Function<String, T> parser;
    private final List<Rule<T>> rules;
    private final boolean secret;

    private static final class Rule<T> {
        final Predicate<T> test;
        final String text;

        Rule(Predicate<T> test, String text) {
            this.test = test;
            this.text = text;
        }
    }

    private ConfigKey(String name, String type, T defaultValue, boolean required, String description,
                      Function<String, T> parser, List<Rule<T>> rules, boolean secret) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = type;
        this.defaultValue = defaultValue;
        this.required = required;
        this.description = Objects.requireNonNull(description, "description");
        this.parser = parser;
        this.rules = Collections.unmodifiableList(rules);
        this.secret = secret;
    }

    // ---- declarations -------------------------------------------------------------------------

    public static ConfigKey<String> string(String name, String defaultValue, String description) {
        return new ConfigKey<>(name, "string", defaultValue, false, description, s -> s, List.of(), false);
    }

    public static ConfigKey<Integer> integer(String name, int defaultValue, String description) {
        return new ConfigKey<>(name, "int", defaultValue, false, description, ConfigKey::parseInt, List.of(), false);
    }

    public static ConfigKey<Long> longValue(String name, long defaultValue, String description) {
        return new ConfigKey<>(name, "long", defaultValue, false, description, ConfigKey::parseLong, List.of(), false);
    }

    public static ConfigKey<Double> decimal(String name, double defaultValue, String description) {
        return new ConfigKey<>(name, "decimal", defaultValue, false, description, ConfigKey::parseDouble, List.of(), false);
    }

    public static ConfigKey<Boolean> bool(String name, boolean defaultValue, String description) {
        return new ConfigKey<>(name, "boolean", defaultValue, false, description, ConfigKey::parseBoolean, List.of(), false);
    }

    /** A duration written as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h} or ISO-8601 ({@code PT30S}). */
    public static ConfigKey<Duration> duration(String name, Duration defaultValue, String description) {
        return new ConfigKey<>(name, "duration", defaultValue, false, description, ConfigKey::parseDuration, List.of(), false);
    }

    /** A comma-separated list; blanks around items are ignored, empty items dropped. */
    public static ConfigKey<List<String>> list(String name, List<String> defaultValue, String description) {
        return new ConfigKey<>(name, "list", defaultValue, false, description, ConfigKey::parseList, List.of(), false);
    }

    /** One of {@code choices}, compared case-insensitively, returned in lower case. */
    public static ConfigKey<String> choice(String name, String defaultValue, String description, String... choices) {
        List<String> valid = Arrays.asList(choices);
        return new ConfigKey<>(name, "one of " + String.join(" | ", valid), defaultValue, false, description,
                s -> s.toLowerCase(Locale.ROOT), List.of(), false)
                .rule(valid::contains, "must be one of " + String.join(", ", valid));
    }

    /** The same key with no default: reading it without a value fails. */
    public ConfigKey<T> required() {
        return new ConfigKey<>(name, type, null, true, description, parser, rules, secret);
    }

    /** The same key whose value is never printed (passwords, keys). */
    public ConfigKey<T> secret() {
        return new ConfigKey<>(name, type, defaultValue, required, description, parser, rules, true);
    }

    /**
     * The same key with another default. For a concept declared once and shared by several
     * adapters ({@link SourceKeys}) whose brokers call for different defaults.
     */
    public ConfigKey<T> withDefault(T value) {
        return new ConfigKey<>(name, type, value, false, description, parser, rules, secret);
    }

    /** The same key with another description, for an adapter that gives a shared key a further use. */
    public ConfigKey<T> withDescription(String text) {
        return new ConfigKey<>(name, type, defaultValue, required, text, parser, rules, secret);
    }

    /** The same key with one more rule; {@code text} completes "the value ...", e.g. "must be at least 1". */
    public ConfigKey<T> rule(Predicate<T> test, String text) {
        List<Rule<T>> more = new ArrayList<>(rules);
        more.add(new Rule<>(test, text));
        return new ConfigKey<>(name, type, defaultValue, required, description, parser, more, secret);
    }

    // ---- reading ------------------------------------------------------------------------------

    /**
     * Parses and checks {@code raw} (null or blank means "not set"). {@code fullKey} is the name as
     * the operator wrote it, used in errors.
     */
    public T parse(String fullKey, String raw) {
        T value;
        if (raw == null || raw.isBlank()) {
            if (required) {
                throw new ConfigException(fullKey, "is required (" + description + ")");
            }
            value = defaultValue;
        } else {
            try {
                value = parser.apply(raw.trim());
            } catch (RuntimeException e) {
                throw new ConfigException(fullKey, "must be a " + type + ", was '" + printable(raw) + "'");
            }
        }
        if (value != null) {
            for (Rule<T> r : rules) {
                if (!r.test.test(value)) {
                    throw new ConfigException(fullKey, r.text + ", was '" + printable(raw == null ? String.valueOf(value) : raw) + "'");
                }
            }
        }
        return value;
    }

    /** The value as it may appear in logs: secrets are masked. */
    public String printable(Object value) {
        if (secret) {
            return value == null ? "(unset)" : "******";
        }
        return String.valueOf(value);
    }

    public String name() {
        return name;
    }

    public String type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public boolean isRequired() {
        return required;
    }

    public boolean isSecret() {
        return secret;
    }

    public String description() {
        return description;
    }

    /** The rules in words, for the docs table. */
    public List<String> ruleTexts() {
        List<String> texts = new ArrayList<>();
        for (Rule<T> r : rules) {
            texts.add(r.text);
        }
        return texts;
    }

    /** How the default is written in the docs table. */
    public String defaultText() {
        if (required) {
            return "(required)";
        }
        if (defaultValue == null) {
            return "(none)";
        }
        if (defaultValue instanceof Duration) {
            return formatDuration((Duration) defaultValue);
        }
        if (defaultValue instanceof List) {
            List<?> l = (List<?>) defaultValue;
            return l.isEmpty() ? "(empty)" : String.join(",", l.stream().map(String::valueOf).toArray(String[]::new));
        }
        return String.valueOf(defaultValue);
    }

    @Override
    public String toString() {
        return name;
    }

    // ---- parsers ------------------------------------------------------------------------------

    private static Integer parseInt(String s) {
        return Integer.valueOf(s.replace("_", ""));
    }

    private static Long parseLong(String s) {
        return Long.valueOf(s.replace("_", ""));
    }

    private static Double parseDouble(String s) {
        double d = new BigDecimal(s).doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new NumberFormatException(s);
        }
        return d;
    }

    private static Boolean parseBoolean(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        if (v.equals("true")) {
            return Boolean.TRUE;
        }
        if (v.equals("false")) {
            return Boolean.FALSE;
        }
        throw new IllegalArgumentException(s);
    }

    static Duration parseDuration(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
            }
            long n = Long.parseLong(v.substring(0, v.length() - 1).trim());
            switch (v.charAt(v.length() - 1)) {
                case 's':
                    return Duration.ofSeconds(n);
                case 'm':
                    return Duration.ofMinutes(n);
                case 'h':
                    return Duration.ofHours(n);
                case 'd':
                    return Duration.ofDays(n);
                default:
                    throw new IllegalArgumentException(s);
            }
        } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    static String formatDuration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        long ms = d.toMillis();
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1000L == 0) {
            return ms / 1000L + "s";
        }
        return ms + "ms";
    }

    private static List<String> parseList(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String p = part.trim();
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return Collections.unmodifiableList(out);
    }

    // ---- common rules -------------------------------------------------------------------------

    /** Rule helper: an int at least {@code min}. */
    public static Predicate<Integer> atLeast(int min) {
        return v -> v >= min;
    }

    /** Rule helper: a duration that is not negative. */
    public static Predicate<Duration> notNegative() {
        return d -> !d.isNegative();
    }

    /** Rule helper: a duration longer than zero. */
    public static Predicate<Duration> positive() {
        return d -> !d.isNegative() && !d.isZero();
    }
}
