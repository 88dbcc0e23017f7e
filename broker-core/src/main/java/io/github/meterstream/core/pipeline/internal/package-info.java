/**
 * The pipeline's moving parts (backoff, circuit breaker, claim lease renewal). Not an API: these
 * types may change in any release.
 */
package io.github.meterstream.core.pipeline.internal;
