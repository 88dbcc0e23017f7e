/** The offsets: committed up to the lowest unsettled one, and the rebalance callbacks that let partitions go. */
package io.github.meterstream.kafka.internal.commit;
