package io.github.meterstream.core.usage;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigKey;
import io.github.meterstream.core.config.ConfigValues;

import java.util.List;

import static io.github.meterstream.core.config.ConfigKey.atLeast;

/**
 * The limits of the usage contract. Immutable; {@link #from(ConfigValues)} and {@link
 * #withMaxRecordsPerMessage(int)} check every rule and name the key that breaks one. The payload
 * size is limited before decoding, by the pipeline's {@code max-payload-bytes}.
 */
public final class UsageContractConfig {

    public static final int DEFAULT_MAX_RECORDS_PER_MESSAGE = 1000;

    public static final ConfigKey<Integer> MAX_RECORDS_PER_MESSAGE = ConfigKey.integer("usage.max-records-per-message",
            DEFAULT_MAX_RECORDS_PER_MESSAGE,
            "Usage records one message may hold, summed over its unit types; a larger message is dead-lettered as "
                    + "INVALID_MESSAGE. The JSON Schema states the default.")
            .rule(atLeast(1), "must be at least 1");

    /** Every key of this config, in documentation order. */
    public static final List<ConfigKey<?>> KEYS = List.of(MAX_RECORDS_PER_MESSAGE);

    private static final UsageContractConfig DEFAULTS = new UsageContractConfig(DEFAULT_MAX_RECORDS_PER_MESSAGE);

    private final int maxRecordsPerMessage;

    private UsageContractConfig(int maxRecordsPerMessage) {
        this.maxRecordsPerMessage = maxRecordsPerMessage;
    }

    public static UsageContractConfig defaults() {
        return DEFAULTS;
    }

    /** Reads {@link #KEYS} from {@code values}; unset keys take their defaults. */
    public static UsageContractConfig from(ConfigValues values) {
        return new UsageContractConfig(values.get(MAX_RECORDS_PER_MESSAGE));
    }

    /** The same config with another record limit. */
    public UsageContractConfig withMaxRecordsPerMessage(int max) {
        if (max < 1) {
            throw new ConfigException(MAX_RECORDS_PER_MESSAGE.name(), "must be at least 1, was '" + max + "'");
        }
        return new UsageContractConfig(max);
    }

    public int maxRecordsPerMessage() {
        return maxRecordsPerMessage;
    }

    @Override
    public String toString() {
        return "UsageContractConfig{" + MAX_RECORDS_PER_MESSAGE.name() + '=' + maxRecordsPerMessage + '}';
    }
}
