/** The usage contract's JSON mapping and constraint validators. Not an API. */
package io.github.meterstream.core.usage.internal;
