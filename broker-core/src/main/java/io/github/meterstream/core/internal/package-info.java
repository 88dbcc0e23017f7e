/** Helpers shared inside broker-core. Not an API. */
package io.github.meterstream.core.internal;
