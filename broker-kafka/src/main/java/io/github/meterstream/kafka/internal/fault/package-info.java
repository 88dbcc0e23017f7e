/** What a settlement does to a record off the poll thread: ack, retry later, or a confirmed copy to the dead-letter topic. */
package io.github.meterstream.kafka.internal.fault;
