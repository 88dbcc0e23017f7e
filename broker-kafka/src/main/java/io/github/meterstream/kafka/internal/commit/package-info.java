/** Offset commits, which never pass a record that is not settled yet. */
package io.github.meterstream.kafka.internal.commit;
