package io.github.meterstream.core;

/** What a handler or validator may know about the delivery of the message it works on. */
public interface MessageContext {

    SourceCoordinates coordinates();

    /** The broker's delivery attempt (1 first), see {@link InboundMessage#deliveryAttempt()}. */
    int deliveryAttempt();

    /** How many times the pipeline has run this delivery so far, including this run (1 first). */
    int pipelineAttempt();

    /** The message's headers. */
    java.util.Map<String, String> headers();
}
