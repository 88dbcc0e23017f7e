/**
 * Deduplication: an {@link io.github.meterstream.core.idempotency.IdempotencyStore} claims a message's
 * key before its handler runs and completes it after, so a redelivered or resubmitted message is
 * handled once. {@link io.github.meterstream.core.idempotency.JdbcIdempotencyStore} shares claims
 * between nodes through a database; {@link io.github.meterstream.core.idempotency.InMemoryIdempotencyStore}
 * serves one process.
 */
package io.github.meterstream.core.idempotency;
