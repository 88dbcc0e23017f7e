package io.github.meterstream.core.config;

/**
 * A configuration value is missing or breaks a rule. The message always names the full key and
 * the rule, for example {@code org.killbill.billing.plugin.meterstream.sources.usage.max-in-flight:
 * must be at least 1, was '0'}, so an operator can fix it without reading code.
 */
public class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String rule;

    public ConfigException(String key, String rule) {
        super(key + ": " + rule);
        this.key = key;
        this.rule = rule;
    }

    /** The full key as the operator wrote it (with its prefix). */
    public String key() {
        return key;
    }

    /** The rule the value broke, in words. */
    public String rule() {
        return rule;
    }
}
