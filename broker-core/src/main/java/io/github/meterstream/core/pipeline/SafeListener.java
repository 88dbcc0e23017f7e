package io.github.meterstream.core.pipeline;

import io.github.meterstream.core.event.PipelineListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Tells the user's {@link PipelineListener} what happened, and makes sure that a listener which
 * throws changes nothing about the message: the call, its arguments included, is evaluated inside
 * the guard.
 */
final class SafeListener {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerPipeline.class);

    private final PipelineListener listener;

    SafeListener(PipelineListener listener) {
        this.listener = listener;
    }

    void tell(Consumer<PipelineListener> call) {
        if (listener == null) {
            return; // nobody listens: not even the event is built
        }
        try {
            call.accept(listener);
        } catch (RuntimeException e) {
            LOG.warn("PipelineListener threw; ignored", e);
        }
    }
}
