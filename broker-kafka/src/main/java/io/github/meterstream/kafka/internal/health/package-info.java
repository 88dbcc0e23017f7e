/** The source's health: connection, lag, a member cut off from its group, dead-letter copies that keep failing. */
package io.github.meterstream.kafka.internal.health;
