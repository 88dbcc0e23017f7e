/**
 * What the pipeline tells the outside world: one {@link io.github.meterstream.core.event.MessageEvent}
 * per outcome, delivered to {@link io.github.meterstream.core.event.PipelineListener}s (metrics, logs,
 * status pages).
 */
package io.github.meterstream.core.event;
