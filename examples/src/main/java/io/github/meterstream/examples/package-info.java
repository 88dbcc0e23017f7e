/**
 * Runnable consumers that reuse broker-core for something other than Kill Bill.
 */
package io.github.meterstream.examples;
