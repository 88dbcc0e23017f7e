/**
 * The broker SPI: what an adapter implements, and the specification it is tested against.
 *
 * <p>A message enters Meterstream here. A {@link io.github.meterstream.core.source.BrokerSourceFactory}
 * builds a {@link io.github.meterstream.core.source.BrokerSource} from configuration; the source hands
 * each raw {@link io.github.meterstream.core.source.InboundMessage} to a
 * {@link io.github.meterstream.core.source.MessageSink} (the pipeline, {@code core.pipeline}) and takes
 * back exactly one {@link io.github.meterstream.core.source.Settlement}. Adapters extend
 * {@link io.github.meterstream.core.source.AbstractBrokerSource}, which owns the life cycle, the
 * messages in flight, health and the settle dispatch, so that they implement only the broker calls. {@code BrokerSourceCompatibilityKit} (module
 * {@code broker-testkit}) proves an adapter keeps every promise below.
 *
 * <h2>Life cycle</h2>
 * <ol>
 *   <li>The factory validates configuration and constructs the source. Construction never connects
 *       to the broker; a bad configuration fails here with a {@link
 *       io.github.meterstream.core.config.ConfigException} naming the key and the rule.</li>
 *   <li>{@link io.github.meterstream.core.source.BrokerSource#start(MessageSink)} connects and begins delivery. It is called at most once:
 *       a second call throws {@link IllegalStateException} and subscribes nothing. It may
 *       return before the first message arrives. A connection failure at start is reported through
 *       {@link io.github.meterstream.core.source.BrokerSource#health()} and retried by the source; only an error that retrying cannot fix (bad
 *       credentials, a missing destination it was told not to create) is thrown, as an
 *       {@link IllegalStateException} whose message says what to fix.</li>
 *   <li>{@link io.github.meterstream.core.source.BrokerSource#pause()} and {@link io.github.meterstream.core.source.BrokerSource#resume()} may be called any number of times from any thread.</li>
 *   <li>{@link io.github.meterstream.core.source.BrokerSource#close(java.time.Duration)} stops delivery, waits up to its timeout for
 *       the settlements of messages in flight (they keep working meanwhile), then returns every
 *       unsettled message to the broker (it is delivered again, to another source if this one is
 *       gone) and releases every thread and connection. A settlement after that fails.</li>
 * </ol>
 *
 * <h2>Threading</h2>
 * The source calls {@link io.github.meterstream.core.source.MessageSink#accept(InboundMessage)} from threads it owns; calls may be
 * concurrent when the source has several consumer threads. The sink never blocks for long: it
 * decodes and enqueues. Settlement methods on {@link io.github.meterstream.core.source.InboundMessage} may be called from any thread,
 * in any order across messages; the source moves the work to whatever thread its client requires.
 *
 * <h2>When the sink throws</h2>
 * {@link io.github.meterstream.core.source.MessageSink#accept(InboundMessage)} does not throw for a
 * bad message; an exception from it is a bug. The source then logs it with the message's
 * coordinates and keeps the message, unsettled: it is not in flight (a close does not wait for it),
 * and it is handed to the sink again after a delay the source chooses (about a second, never in a
 * tight loop), with {@link io.github.meterstream.core.source.InboundMessage#deliveryAttempt()} one
 * higher, once the source is not paused. A source that closes first returns it to the broker with
 * the other unsettled messages. {@link io.github.meterstream.core.source.AbstractBrokerSource} does
 * exactly this.
 *
 * <h2>Ordering</h2>
 * A source delivers the messages of one ordered unit of the broker (a Kafka partition, a queue with
 * one consumer) in broker order. The pipeline then keeps order per key (for usage: the
 * subscription). A message handed back with {@link io.github.meterstream.core.source.Settlement#retryAfter(java.time.Duration)} is delivered
 * again later and may then come after messages that were behind it.
 *
 * <h2>Delivery guarantee: at least once</h2>
 * A message is removed from the broker only when it is acknowledged, or once its dead-letter copy
 * has been confirmed by the broker. Everything else is delivered again: a message not settled when
 * the source closes, a message whose settlement failed (for example the dead-letter publish was not
 * confirmed), every message of a consumer that crashed. Duplicates therefore come from
 * redeliveries after a crash, a connection loss or a rebalance; the pipeline's
 * {@link io.github.meterstream.core.idempotency.IdempotencyStore} removes them before the handler
 * sees them.
 *
 * <h2>Settlements</h2>
 * <ul>
 *   <li>{@link io.github.meterstream.core.source.Settlement#ack() ack}: the message is done and must not be delivered again.</li>
 *   <li>{@link io.github.meterstream.core.source.Settlement#retryAfter(java.time.Duration) retry after a delay}: deliver the same payload and
 *       headers again no earlier than the delay, with {@link io.github.meterstream.core.source.InboundMessage#deliveryAttempt()} one
 *       higher. The source may use broker features (delay queues, redelivery policies) or keep the
 *       message itself; either way the retry survives a restart of this process where the broker
 *       allows it.</li>
 *   <li>{@link io.github.meterstream.core.source.Settlement#deadLetter(io.github.meterstream.core.failure.DeadLetterEnvelope) dead-letter}: publish the original payload
 *       and headers plus the envelope's headers to the source's dead-letter destination, wait for
 *       the broker to confirm it, then remove the original. Never remove first.</li>
 * </ul>
 * For an ack, "confirmed" may mean recorded by the source where the broker stores acks in batches
 * (Kafka commits offsets on a timer and never past an unsettled one): a crash before the batch
 * reaches the broker redelivers the message, and the idempotency store removes the copy. Retry and
 * dead-letter copies are always confirmed by the broker before the stage completes.
 * The returned stage completes when the broker has confirmed the settlement, and completes
 * exceptionally if it could not be done; in that case the source makes the message available
 * again rather than dropping it.
 *
 * <h2>Flow control</h2>
 * After {@link io.github.meterstream.core.source.BrokerSource#pause()} returns, the source starts no new delivery until {@link io.github.meterstream.core.source.BrokerSource#resume()}.
 * Deliveries already under way on other threads may still reach the sink; the pipeline allows for
 * that. {@code pause()} and {@code resume()} return at once: they set state that the delivery
 * threads read and never wait for a delivery thread (the pipeline calls them while holding its own
 * lock, so a source must not hold a lock of its own while calling the sink that {@code pause()}
 * also takes). A paused source keeps its broker session alive (a Kafka source keeps polling with its
 * partitions paused), so a long pause never causes a rebalance or a connection drop.
 */
package io.github.meterstream.core.source;
