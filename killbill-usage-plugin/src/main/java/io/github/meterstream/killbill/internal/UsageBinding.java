package io.github.meterstream.killbill.internal;

import io.github.meterstream.core.pipeline.MessageContract;

/**
 * How the plugin reads the usage message type {@code T}: the broker-core contract that decodes and
 * deduplicates it, and the view the plugin's rules read.
 *
 * @param <T> the decoded message type
 */
public interface UsageBinding<T> {

    MessageContract<T> contract();

    UsageRequest view(T message);
}
