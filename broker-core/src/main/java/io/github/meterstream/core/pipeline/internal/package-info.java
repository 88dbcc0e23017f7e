/**
 * The pipeline's moving parts (backoff, circuit breaker, claim lease renewal) and the time they are
 * driven by ({@link io.github.meterstream.core.pipeline.internal.TimeSource}, with {@link
 * io.github.meterstream.core.pipeline.internal.ManualTime} for tests). Not an API: these types may
 * change in any release.
 */
package io.github.meterstream.core.pipeline.internal;
