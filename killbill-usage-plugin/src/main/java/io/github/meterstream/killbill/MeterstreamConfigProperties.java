package io.github.meterstream.killbill;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.deadletter.JdbcDeadLetterStore;
import io.github.meterstream.core.idempotency.JdbcIdempotencyStore;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.usage.UsageContractConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static io.github.meterstream.core.config.ConfigKey.atLeast;
import static io.github.meterstream.core.config.ConfigKey.notNegative;
import static io.github.meterstream.core.config.ConfigKey.positive;

/**
 * The plugin's global configuration: Kill Bill system properties under {@value #PREFIX}. Immutable,
 * every key declared once below, validated when built; an error names the full key. Per-tenant
 * rules ({@link MeterstreamTenantRules}) take their defaults from here.
 *
 * <pre>
 * org.killbill.billing.plugin.meterstream.sources.usage.type=kafka
 * org.killbill.billing.plugin.meterstream.sources.usage.bootstrap-servers=localhost:9092
 * org.killbill.billing.plugin.meterstream.sources.usage.pipeline.concurrency=8
 * org.killbill.billing.plugin.meterstream.sources.usage.tenants=6b5a...,9c1e...
 * org.killbill.billing.plugin.meterstream.forward-dated-tolerance=1d
 * </pre>
 */
public final class MeterstreamConfigProperties {

    /** The Kill Bill plugin name: {@code /plugins/meterstream/}, {@code uploadPluginConfig/meterstream}. */
    public static final String PLUGIN_NAME = "meterstream";
    public static final String PREFIX = "org.killbill.billing.plugin." + PLUGIN_NAME + '.';
    /** Kill Bill's own setting: how many past periods late usage is still billed. */
    public static final String KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD = "org.killbill.invoice.readMaxRawUsagePreviousPeriod";

    /** The section holding one sub-section per source. */
    public static final String SOURCES = "sources";
    /** The per-source sub-section read by {@code PipelineConfig.from}. */
    public static final String PIPELINE_SECTION = "pipeline";

    /** Per source ({@code sources.<name>.tenants}): the tenants (ids or api keys) whose usage it may carry. */
    public static final ConfigKey<List<String>> SOURCE_TENANTS = ConfigKey.list("tenants", List.of(),
            "Tenant ids (or api keys) this source may carry usage for; a message naming another tenant is dead-lettered "
                    + "as TENANT_NOT_ALLOWED. Empty: any tenant (then broker ACLs are the only boundary).");

    /**
     * Per source ({@code sources.<name>.health.fail-killbill-healthcheck}): whether this source being
     * DEGRADED also fails Kill Bill's own {@code /1.0/healthcheck}. Off by default: a load balancer
     * probing Kill Bill must not take the node out of rotation for a usage-source typo.
     */
    public static final ConfigKey<Boolean> SOURCE_FAIL_KILLBILL_HEALTHCHECK = ConfigKey.bool("health.fail-killbill-healthcheck",
            false, "Whether this source being DEGRADED also makes Kill Bill's own /1.0/healthcheck unhealthy. false: it is "
                    + "reported DEGRADED in /plugins/meterstream/status, the plugin's healthcheck details and metrics only, so a "
                    + "load balancer probing Kill Bill keeps the node for a usage-source problem; true: the node fails its healthcheck.");
    /** The per-source keys the plugin reads itself; the rest of a source's section goes to the adapter and the pipeline. */
    public static final List<ConfigKey<?>> SOURCE_KEYS = List.of(SOURCE_TENANTS, SOURCE_FAIL_KILLBILL_HEALTHCHECK);

    public static final ConfigKey<Duration> HEALTH_MAX_CONNECTING = ConfigKey.duration("health.max-connecting", Duration.ofSeconds(30),
            "A source not connected to its broker this long after it started trying (at start, or since it lost its "
                    + "connection) is DEGRADED.")
            .rule(notNegative(), "must not be negative");
    public static final ConfigKey<Duration> HEALTH_MAX_DISCONNECTED = ConfigKey.duration("health.max-disconnected", Duration.ZERO,
            "A source reporting DISCONNECTED from its broker this long is DEGRADED (0: at once).")
            .rule(notNegative(), "must not be negative");
    public static final ConfigKey<Duration> HEALTH_MAX_PAUSED = ConfigKey.duration("health.max-paused", Duration.ofMinutes(5),
            "A source paused by an open circuit (or stopped by fail-stop) this long is DEGRADED.")
            .rule(notNegative(), "must not be negative");
    public static final ConfigKey<Duration> HEALTH_MAX_UNSETTLED = ConfigKey.duration("health.max-unsettled", Duration.ofMinutes(5),
            "A source whose oldest unsettled message (in flight, held for retry or waiting on another node's claim) was "
                    + "received this long ago is DEGRADED. The default is above what a message may wait when nothing is wrong: "
                    + "the default pipeline.idempotency.lease (1m) for a claim left by a dead node, plus the longest retry "
                    + "delay (30s) and circuit probe wait (60s); raise it with those.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<String> KILLBILL_USERNAME = ConfigKey.string("killbill.username", null,
            "Kill Bill user the plugin logs in as (SecurityApi.login) before recording usage. Unset: the plugin does not "
                    + "log in and Kill Bill must run with org.killbill.security.skipAuthForPlugins=true.");
    public static final ConfigKey<String> KILLBILL_PASSWORD = ConfigKey.string("killbill.password", null,
            "Password of killbill.username.").secret();
    /**
     * The idempotency store's table: the store's own declaration ({@code idempotency.jdbc.table}),
     * so that the plugin reads the key under the name the store documents.
     */
    public static final ConfigKey<String> IDEMPOTENCY_TABLE = JdbcIdempotencyStore.TABLE_NAME;
    /** This Kill Bill node's name in idempotency claims: the store's own declaration. */
    public static final ConfigKey<String> IDEMPOTENCY_NODE_ID = JdbcIdempotencyStore.NODE_ID;
    public static final ConfigKey<Duration> IDEMPOTENCY_RETENTION = ConfigKey.duration("idempotency.retention", Duration.ofDays(30),
            "The dedupe window: idempotency keys completed longer ago are deleted. A copy redelivered later reaches Kill Bill, "
                    + "whose tracking-id check refuses it (50000, then dead-lettered as IDEMPOTENCY_CONFLICT): never billed twice, "
                    + "but not acknowledged silently either. Longer: a bigger table; shorter: more late copies in the dead letters.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Duration> IDEMPOTENCY_PURGE_INTERVAL = ConfigKey.duration("idempotency.purge-interval",
            Duration.ofHours(1), "How often the purge of idempotency keys older than idempotency.retention runs (first run at "
                    + "most a minute after start), on its own thread.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<String> REJECTIONS_TABLE = ConfigKey.string("rejections.jdbc.table", "meterstream_rejected_usage",
                    "Table in Kill Bill's database holding a copy of every message the plugin dead-letters (listed under "
                            + "/plugins/meterstream/rejections); the broker's dead-letter destination stays the durable copy.")
            .rule(name -> name != null && name.matches("[A-Za-z_][A-Za-z0-9_]{0,47}"),
                    "must be a plain SQL identifier: a letter or '_', then letters, digits or '_', at most 48 characters");
    public static final ConfigKey<Integer> REJECTIONS_MAX_PAYLOAD_BYTES = ConfigKey.integer("rejections.max-payload-bytes", 16_384,
                    "Bytes of each rejected message's payload kept in the rejections table; a longer payload is cut (the entry "
                            + "says how long it was).")
            .rule(atLeast(0).and(v -> v <= JdbcDeadLetterStore.MAX_PAYLOAD_CAP), "must be within 0.." + JdbcDeadLetterStore.MAX_PAYLOAD_CAP);
    public static final ConfigKey<Integer> REJECTIONS_MAX_PER_TENANT = ConfigKey.integer("rejections.max-per-tenant", 10_000,
                    "Rejections kept per tenant (and for messages naming no known tenant); beyond it the least recently seen "
                            + "are deleted.")
            .rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Duration> REJECTIONS_RETENTION = ConfigKey.duration("rejections.retention", Duration.ofDays(30),
                    "Rejections last seen longer ago are deleted, on the idempotency.purge-interval schedule.")
            .rule(positive(), "must be longer than zero");
    public static final ConfigKey<Integer> CACHE_TENANTS = ConfigKey.integer("cache.tenants.max-size", 1000,
            "Tenants kept in the tenant lookup cache.").rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Integer> CACHE_SUBSCRIPTIONS = ConfigKey.integer("cache.subscriptions.max-size", 10_000,
            "Subscriptions kept in the subscription lookup cache.").rule(atLeast(1), "must be at least 1");
    public static final ConfigKey<Duration> CACHE_SUBSCRIPTIONS_TTL = ConfigKey.duration("cache.subscriptions.ttl",
            Duration.ofMinutes(1), "How long a cached subscription (dates, plan, charged-through date) is trusted.")
            .rule(notNegative(), "must not be negative");
    public static final ConfigKey<Duration> CACHE_CATALOG_TTL = ConfigKey.duration("cache.catalog.ttl", Duration.ofMinutes(5),
            "How long the units of a plan, read from the tenant's catalog versions, are trusted.")
            .rule(notNegative(), "must not be negative");
    public static final ConfigKey<Integer> LATE_USAGE_MAX_PREVIOUS_PERIODS = ConfigKey.integer("late-usage.max-previous-periods", -1,
            "Past billing periods (before the charged-through date) still billed. -1: Kill Bill's "
                    + KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD + " (per tenant, then global, then 2).")
            .rule(atLeast(-1), "must be -1 or more");
    public static final ConfigKey<Duration> STOP_TIMEOUT = ConfigKey.duration("stop-timeout", Duration.ofSeconds(20),
            "On plugin stop, how long each pipeline may finish its running messages; the rest return to the broker.")
            .rule(notNegative(), "must not be negative");

    /** Every global key (the per-tenant rule defaults are in {@link MeterstreamTenantRules#KEYS}). */
    public static final List<ConfigKey<?>> KEYS = List.of(HEALTH_MAX_CONNECTING, HEALTH_MAX_DISCONNECTED,
            HEALTH_MAX_PAUSED, HEALTH_MAX_UNSETTLED, KILLBILL_USERNAME,
            KILLBILL_PASSWORD, IDEMPOTENCY_TABLE, IDEMPOTENCY_NODE_ID, IDEMPOTENCY_RETENTION, IDEMPOTENCY_PURGE_INTERVAL, REJECTIONS_TABLE,
            REJECTIONS_MAX_PAYLOAD_BYTES, REJECTIONS_MAX_PER_TENANT, REJECTIONS_RETENTION, CACHE_TENANTS, CACHE_SUBSCRIPTIONS, CACHE_SUBSCRIPTIONS_TTL, CACHE_CATALOG_TTL,
            LATE_USAGE_MAX_PREVIOUS_PERIODS, STOP_TIMEOUT);

    private final ConfigValues values;
    private final Map<String, ConfigValues> sources;
    private final Duration healthMaxConnecting;
    private final Duration healthMaxDisconnected;
    private final Duration healthMaxPaused;
    private final Duration healthMaxUnsettled;
    private final String killbillUsername;
    private final String killbillPassword;
    private final String idempotencyTable;
    private final String idempotencyNodeId;
    private final Duration idempotencyRetention;
    private final Duration idempotencyPurgeInterval;
    private final String rejectionsTable;
    private final int rejectionsMaxPayloadBytes;
    private final int rejectionsMaxPerTenant;
    private final Duration rejectionsRetention;
    private final int cacheTenants;
    private final int cacheSubscriptions;
    private final Duration cacheSubscriptionsTtl;
    private final Duration cacheCatalogTtl;
    private final int lateUsageMaxPreviousPeriods;
    private final Integer killbillReadMaxRawUsagePreviousPeriod;
    private final Duration stopTimeout;
    private final MeterstreamTenantRules defaultTenantRules;
    private final UsageContractConfig usageContractConfig;

    private MeterstreamConfigProperties(ConfigValues values, Integer killbillReadMax) {
        this.values = values;
        List<ConfigKey<?>> known = new ArrayList<>(KEYS);
        known.addAll(MeterstreamTenantRules.KEYS);
        known.addAll(UsageContractConfig.KEYS);
        values.requireOnlyKnownKeys(known, List.of(SOURCES));
        this.healthMaxConnecting = values.get(HEALTH_MAX_CONNECTING);
        this.healthMaxDisconnected = values.get(HEALTH_MAX_DISCONNECTED);
        this.healthMaxPaused = values.get(HEALTH_MAX_PAUSED);
        this.healthMaxUnsettled = values.get(HEALTH_MAX_UNSETTLED);
        this.killbillUsername = values.get(KILLBILL_USERNAME);
        this.killbillPassword = values.get(KILLBILL_PASSWORD);
        if (killbillUsername != null && killbillPassword == null) {
            throw new ConfigException(PREFIX + KILLBILL_PASSWORD.name(), "is required when " + PREFIX + KILLBILL_USERNAME.name() + " is set");
        }
        this.idempotencyTable = values.get(IDEMPOTENCY_TABLE);
        String nodeId = values.get(IDEMPOTENCY_NODE_ID);
        this.idempotencyNodeId = nodeId == null ? JdbcIdempotencyStore.defaultNodeId() : nodeId;
        this.idempotencyRetention = values.get(IDEMPOTENCY_RETENTION);
        this.idempotencyPurgeInterval = values.get(IDEMPOTENCY_PURGE_INTERVAL);
        this.rejectionsTable = values.get(REJECTIONS_TABLE);
        this.rejectionsMaxPayloadBytes = values.get(REJECTIONS_MAX_PAYLOAD_BYTES);
        this.rejectionsMaxPerTenant = values.get(REJECTIONS_MAX_PER_TENANT);
        this.rejectionsRetention = values.get(REJECTIONS_RETENTION);
        this.cacheTenants = values.get(CACHE_TENANTS);
        this.cacheSubscriptions = values.get(CACHE_SUBSCRIPTIONS);
        this.cacheSubscriptionsTtl = values.get(CACHE_SUBSCRIPTIONS_TTL);
        this.cacheCatalogTtl = values.get(CACHE_CATALOG_TTL);
        this.lateUsageMaxPreviousPeriods = values.get(LATE_USAGE_MAX_PREVIOUS_PERIODS);
        this.killbillReadMaxRawUsagePreviousPeriod = killbillReadMax;
        this.stopTimeout = values.get(STOP_TIMEOUT);
        this.defaultTenantRules = MeterstreamTenantRules.from(values, null);
        this.usageContractConfig = UsageContractConfig.from(values);
        ConfigValues all = values.section(SOURCES);
        Map<String, ConfigValues> s = new LinkedHashMap<>();
        for (String name : all.sectionNames()) {
            s.put(name, all.section(name));
        }
        for (String k : all.asMap().keySet()) {
            if (k.indexOf('.') < 0) {
                throw new ConfigException(PREFIX + SOURCES + '.' + k, "is not a source section; write "
                        + PREFIX + SOURCES + ".<name>.type=...");
            }
        }
        this.sources = Collections.unmodifiableMap(s);
    }

    /**
     * Reads the plugin's keys from Kill Bill's properties ({@code configProperties.getProperties()}).
     *
     * @throws ConfigException naming the first key that is wrong
     */
    public static MeterstreamConfigProperties from(Properties killbillProperties) {
        Integer readMax = null;
        String raw = killbillProperties.getProperty(KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD);
        if (raw != null && !raw.isBlank()) {
            readMax = ConfigKey.integer(KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD, 2, "Kill Bill setting")
                    .parse(KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD, raw);
        }
        return new MeterstreamConfigProperties(ConfigValues.fromProperties(PREFIX, killbillProperties), readMax);
    }

    /** The source names, in configuration order (sorted). */
    public Set<String> sourceNames() {
        return sources.keySet();
    }

    /** The section of source {@code name}: {@code type}, the adapter's keys, {@code tenants}, {@code pipeline.*}. */
    public ConfigValues source(String name) {
        ConfigValues v = sources.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no source named " + name);
        }
        return v;
    }

    public Duration healthMaxPaused() {
        return healthMaxPaused;
    }

    public Duration healthMaxDisconnected() {
        return healthMaxDisconnected;
    }

    public Duration healthMaxConnecting() {
        return healthMaxConnecting;
    }

    public Duration healthMaxUnsettled() {
        return healthMaxUnsettled;
    }

    /**
     * Whether any source in {@code killbillProperties} opts in to failing Kill Bill's healthcheck, read
     * without the rest of the configuration: when that configuration cannot be read, nothing starts,
     * and Kill Bill's healthcheck fails only if an operator asked for it.
     */
    public static boolean anySourceFailsKillbillHealthcheck(Properties killbillProperties) {
        String head = PREFIX + SOURCES + '.';
        String tail = '.' + SOURCE_FAIL_KILLBILL_HEALTHCHECK.name();
        for (String k : killbillProperties.stringPropertyNames()) {
            if (k.startsWith(head) && k.endsWith(tail) && "true".equalsIgnoreCase(killbillProperties.getProperty(k).trim())) {
                return true;
            }
        }
        return false;
    }

    /** The Kill Bill user to log in as, or {@code null} (rely on {@code skipAuthForPlugins}). */
    public String killbillUsername() {
        return killbillUsername;
    }

    public String killbillPassword() {
        return killbillPassword;
    }

    public String idempotencyTable() {
        return idempotencyTable;
    }

    /** This node's id in idempotency claims (configured, or the host name plus a per-run suffix). */
    public String idempotencyNodeId() {
        return idempotencyNodeId;
    }

    /** How long a completed idempotency key is kept (the dedupe window). */
    public Duration idempotencyRetention() {
        return idempotencyRetention;
    }

    public Duration idempotencyPurgeInterval() {
        return idempotencyPurgeInterval;
    }

    /** The table of rejected usage in Kill Bill's database. */
    public String rejectionsTable() {
        return rejectionsTable;
    }

    public int rejectionsMaxPayloadBytes() {
        return rejectionsMaxPayloadBytes;
    }

    public int rejectionsMaxPerTenant() {
        return rejectionsMaxPerTenant;
    }

    /** How long a rejection is kept after it was last seen. */
    public Duration rejectionsRetention() {
        return rejectionsRetention;
    }

    public int cacheTenants() {
        return cacheTenants;
    }

    public int cacheSubscriptions() {
        return cacheSubscriptions;
    }

    public Duration cacheSubscriptionsTtl() {
        return cacheSubscriptionsTtl;
    }

    public Duration cacheCatalogTtl() {
        return cacheCatalogTtl;
    }

    /** The plugin's own override, or -1 to use Kill Bill's setting. */
    public int lateUsageMaxPreviousPeriods() {
        return lateUsageMaxPreviousPeriods;
    }

    /** Kill Bill's global {@value #KILLBILL_READ_MAX_RAW_USAGE_PREVIOUS_PERIOD}, or {@code null} if not set. */
    public Integer killbillReadMaxRawUsagePreviousPeriod() {
        return killbillReadMaxRawUsagePreviousPeriod;
    }

    public Duration stopTimeout() {
        return stopTimeout;
    }

    /** The rules of a tenant that uploaded no plugin configuration. */
    public MeterstreamTenantRules defaultTenantRules() {
        return defaultTenantRules;
    }

    /** The usage message contract's settings ({@code usage.max-records-per-message}). */
    public UsageContractConfig usageContractConfig() {
        return usageContractConfig;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("MeterstreamConfigProperties{");
        for (ConfigKey<?> k : KEYS) {
            b.append(k.name()).append('=').append(k.printable(values.raw(k.name()) == null ? k.defaultText() : values.raw(k.name()))).append(", ");
        }
        b.append("tenantDefaults=").append(defaultTenantRules).append(", sources=").append(sources.keySet()).append('}');
        return b.toString();
    }
}
