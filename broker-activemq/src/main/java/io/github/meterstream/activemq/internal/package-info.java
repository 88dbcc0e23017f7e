/**
 * The broker calls behind {@code ActiveMqSource}: the connection supervisor, one worker per session,
 * the JMS message codec. Not an API.
 */
package io.github.meterstream.activemq.internal;
