/**
 * Configuration: every key is declared once as a {@link io.github.meterstream.core.config.ConfigKey}
 * (name, type, default, rule, description); values are read and validated through it, a bad value
 * fails with a {@link io.github.meterstream.core.config.ConfigException} naming the key and the rule,
 * and every documentation table is generated from the same declarations by {@link io.github.meterstream.core.config.ConfigDocs}.
 */
package io.github.meterstream.core.config;
