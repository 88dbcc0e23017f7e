/** The dead-letter copy, confirmed by the broker before the original counts as settled. */
package io.github.meterstream.kafka.internal.fault;
