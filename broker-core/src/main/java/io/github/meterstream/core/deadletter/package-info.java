/**
 * Rejected messages kept where people can see them, beside the broker's dead-letter destination.
 *
 * <p>The broker's dead-letter destination stays the durable copy of every rejected message; a
 * {@link io.github.meterstream.core.deadletter.DeadLetterStore} keeps a searchable, bounded copy of
 * each one (reason, tenant, tracking id, where it came from, how often it was seen, the payload up to
 * a cap) so that an operator or a tenant can list rejections, discard them, and replay them through
 * the same pipeline once the cause is fixed. {@link io.github.meterstream.core.deadletter.JdbcDeadLetterStore}
 * is the implementation on a relational database (PostgreSQL, MySQL, MariaDB, H2).
 *
 * <p>A pipeline given a store ({@code ConsumerPipeline.Builder.deadLetterStore}) writes every
 * message the broker confirmed as dead-lettered to it, off the source's threads and bounded: when the
 * store is down or slow the copy is dropped and counted, and the message is still in the broker's
 * dead-letter destination.
 */
package io.github.meterstream.core.deadletter;
