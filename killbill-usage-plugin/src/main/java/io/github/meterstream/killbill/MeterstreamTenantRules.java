package io.github.meterstream.killbill;

import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The rules one tenant sets for its own usage, uploaded as a properties text with
 * {@code POST /1.0/kb/tenants/uploadPluginConfig/meterstream} and applied live when changed. Keys may
 * be written bare ({@code forward-dated-tolerance=2d}) or with the plugin prefix. Unset keys take
 * the global values ({@link MeterstreamConfigProperties}), which default as declared here.
 */
public final class MeterstreamTenantRules {

    public static final String REJECT = "reject";
    public static final String ACCEPT = "accept";

    public static final ConfigKey<Duration> FORWARD_DATED_TOLERANCE = ConfigKey.duration("forward-dated-tolerance",
            Duration.ofDays(1), "How far in the future (Kill Bill's clock) a record may be dated; later ones are FORWARD_DATED.")
            .rule(ConfigKey.notNegative(), "must not be negative");
    public static final ConfigKey<String> LATE_USAGE_POLICY = ConfigKey.choice("late-usage-policy", REJECT,
            "Usage older than Kill Bill still bills (readMaxRawUsagePreviousPeriod periods before the charged-through date): "
                    + "reject (dead-letter as LATE_USAGE) or accept (record it anyway, counted and logged as late).",
            REJECT, ACCEPT);
    public static final ConfigKey<List<String>> SOURCES = ConfigKey.list("sources", List.of(),
            "Sources that may carry this tenant's usage; empty: all sources.");

    public static final List<ConfigKey<?>> KEYS = List.of(FORWARD_DATED_TOLERANCE, LATE_USAGE_POLICY, SOURCES);

    private final Duration forwardDatedTolerance;
    private final boolean acceptLateUsage;
    private final List<String> sources;
    private final String holdReason;

    private MeterstreamTenantRules(Duration forwardDatedTolerance, boolean acceptLateUsage, List<String> sources, String holdReason) {
        this.forwardDatedTolerance = forwardDatedTolerance;
        this.acceptLateUsage = acceptLateUsage;
        this.sources = sources;
        this.holdReason = holdReason;
    }

    /**
     * Reads the rules from {@code values}; keys not set there come from {@code defaults} (or the
     * declared defaults when {@code defaults} is null).
     */
    static MeterstreamTenantRules from(ConfigValues values, MeterstreamTenantRules defaults) {
        Duration tolerance = values.raw(FORWARD_DATED_TOLERANCE.name()) == null && defaults != null
                ? defaults.forwardDatedTolerance : values.get(FORWARD_DATED_TOLERANCE);
        boolean accept = values.raw(LATE_USAGE_POLICY.name()) == null && defaults != null
                ? defaults.acceptLateUsage : ACCEPT.equals(values.get(LATE_USAGE_POLICY));
        List<String> sources = values.raw(SOURCES.name()) == null && defaults != null ? defaults.sources : values.get(SOURCES);
        return new MeterstreamTenantRules(tolerance, accept, sources, null);
    }

    /**
     * The rules in a tenant's uploaded properties text.
     *
     * @throws io.github.meterstream.core.config.ConfigException naming the key that is wrong
     */
    public static MeterstreamTenantRules fromTenantProperties(Properties properties, MeterstreamTenantRules defaults) {
        Map<String, String> relative = new LinkedHashMap<>();
        for (String k : properties.stringPropertyNames()) {
            String name = k.startsWith(MeterstreamConfigProperties.PREFIX) ? k.substring(MeterstreamConfigProperties.PREFIX.length()) : k;
            relative.put(name, properties.getProperty(k));
        }
        ConfigValues values = ConfigValues.of("uploadPluginConfig/" + MeterstreamConfigProperties.PLUGIN_NAME + ": ", relative);
        values.requireOnlyKnownKeys(KEYS, List.of());
        return from(values, defaults);
    }

    public static MeterstreamTenantRules defaults() {
        return from(ConfigValues.of(MeterstreamConfigProperties.PREFIX, Map.of()), null);
    }

    /**
     * Rules that refuse every message of the tenant for now: its configuration cannot be used
     * (invalid, or deleted while the plugin ran). Its usage is held (retried) rather than recorded
     * under rules the tenant did not choose, or dead-lettered.
     */
    public static MeterstreamTenantRules held(String reason) {
        MeterstreamTenantRules d = defaults();
        return new MeterstreamTenantRules(d.forwardDatedTolerance, d.acceptLateUsage, d.sources, java.util.Objects.requireNonNull(reason));
    }

    /** Why this tenant's usage is held, or {@code null} when the rules apply. */
    public String holdReason() {
        return holdReason;
    }

    public Duration forwardDatedTolerance() {
        return forwardDatedTolerance;
    }

    public boolean acceptLateUsage() {
        return acceptLateUsage;
    }

    /** The sources allowed to carry this tenant's usage; empty means all. */
    public List<String> sources() {
        return sources;
    }

    public boolean allowsSource(String source) {
        return sources.isEmpty() || sources.contains(source);
    }

    @Override
    public String toString() {
        if (holdReason != null) {
            return "{held: " + holdReason + '}';
        }
        return "{forward-dated-tolerance=" + forwardDatedTolerance + ", late-usage-policy=" + (acceptLateUsage ? ACCEPT : REJECT)
                + ", sources=" + (sources.isEmpty() ? "(all)" : String.join(",", sources)) + '}';
    }
}
