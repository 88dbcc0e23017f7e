/**
 * The event relay: BIE contention events from Kafka topics, stored once in a database event log and
 * relayed once to a RabbitMQ exchange per topic through an outbox. Built on broker-core's pipeline
 * and broker-kafka's source; see the module README for what each guarantee rests on.
 *
 * <p>{@link io.github.meterstream.examples.relay.EventRelay} wires it; {@link
 * io.github.meterstream.examples.relay.BieEventContract} decodes, {@link
 * io.github.meterstream.examples.relay.EventLog} stores (one transaction),
 * {@link io.github.meterstream.examples.relay.OutboxPublisher} publishes;
 * {@link io.github.meterstream.examples.relay.RelayConfig} declares every key.
 */
package io.github.meterstream.examples.relay;
