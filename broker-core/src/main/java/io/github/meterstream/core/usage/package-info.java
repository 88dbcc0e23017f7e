/**
 * The usage message contract: the JSON format services publish (docs/MESSAGE-FORMAT.md), decoded and
 * validated by {@link io.github.meterstream.core.usage.UsageMessageContract}. Generic: nothing here
 * knows Kill Bill; the Kill Bill plugin is one consumer of it.
 */
package io.github.meterstream.core.usage;
