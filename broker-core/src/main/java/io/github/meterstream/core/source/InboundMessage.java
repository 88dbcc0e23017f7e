package io.github.meterstream.core.source;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One message as a {@link BrokerSource} delivers it: the raw payload, its headers decoded as UTF-8
 * strings, where it came from, and which delivery attempt this is.
 *
 * <p>Exactly one settlement is accepted: the first call to {@link #ack()}, {@link
 * #retryAfter(Duration)}, {@link #deadLetter(DeadLetterEnvelope)} or {@link #settle(Settlement)}
 * is passed to the source's {@link Settler}; any later call fails with {@link
 * IllegalStateException}. That rule lives here, once, so adapters do not each re-implement it.
 */
public final class InboundMessage {

    /**
     * The adapter's half of settlement: does what the {@link Settlement} asks on the broker and
     * completes the stage when the broker confirmed it. Called at most once per message, from any
     * thread.
     */
    @FunctionalInterface
    public interface Settler {
        CompletionStage<Void> settle(InboundMessage message, Settlement settlement);
    }

    private final byte[] payload;
    private final Map<String, String> headers;
    private final SourceCoordinates coordinates;
    private final int deliveryAttempt;
    private final Instant receivedAt;
    private final Settler settler;
    private final AtomicReference<Settlement> settlement = new AtomicReference<>();

    private InboundMessage(Builder builder) {
        this.payload = Objects.requireNonNull(builder.payload, "payload");
        // most messages have no headers: no copy then
        this.headers = builder.headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(builder.headers));
        this.coordinates = Objects.requireNonNull(builder.coordinates, "coordinates");
        this.deliveryAttempt = builder.deliveryAttempt;
        this.receivedAt = builder.receivedAt == null ? Instant.now() : builder.receivedAt;
        this.settler = Objects.requireNonNull(builder.settler, "settler");
        if (deliveryAttempt < 1) {
            throw new IllegalArgumentException("deliveryAttempt starts at 1, was " + deliveryAttempt);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The payload exactly as the broker delivered it. The array is not copied: do not modify it. */
    public byte[] payload() {
        return payload;
    }

    /** The payload as UTF-8 text. */
    public String payloadAsString() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** The message's headers (application properties), read-only, in broker order. */
    public Map<String, String> headers() {
        return headers;
    }

    public SourceCoordinates coordinates() {
        return coordinates;
    }

    /** 1 for the first delivery; higher for redeliveries and retries, as far as the broker tells. */
    public int deliveryAttempt() {
        return deliveryAttempt;
    }

    /** When the source received the message. */
    public Instant receivedAt() {
        return receivedAt;
    }

    /** The settlement given so far, or {@code null} while the message is unsettled. */
    public Settlement settlement() {
        return settlement.get();
    }

    public boolean isSettled() {
        return settlement.get() != null;
    }

    public CompletionStage<Void> ack() {
        return settle(Settlement.ack());
    }

    public CompletionStage<Void> retryAfter(Duration delay) {
        return settle(Settlement.retryAfter(delay));
    }

    public CompletionStage<Void> deadLetter(DeadLetterEnvelope envelope) {
        return settle(Settlement.deadLetter(envelope));
    }

    /** Settles the message; the stage completes when the broker confirmed it. */
    public CompletionStage<Void> settle(Settlement s) {
        Objects.requireNonNull(s, "settlement");
        if (!settlement.compareAndSet(null, s)) {
            throw new IllegalStateException("message " + coordinates + " is already settled (" + settlement.get()
                    + "), cannot " + s);
        }
        try {
            return settler.settle(this, s);
        } catch (RuntimeException e) {
            CompletableFuture<Void> failed = new CompletableFuture<>();
            failed.completeExceptionally(e);
            return failed;
        }
    }

    @Override
    public String toString() {
        return "InboundMessage{" + coordinates + ", attempt " + deliveryAttempt + ", " + payload.length + " bytes}";
    }

    /** Builds an {@link InboundMessage}; used by sources. */
    public static final class Builder {
        private byte[] payload;
        private Map<String, String> headers = Collections.emptyMap();
        private SourceCoordinates coordinates;
        private int deliveryAttempt = 1;
        private Instant receivedAt;
        private Settler settler;

        private Builder() {
        }

        public Builder payload(byte[] payload) {
            this.payload = payload;
            return this;
        }

        public Builder headers(Map<String, String> headers) {
            this.headers = Objects.requireNonNull(headers, "headers");
            return this;
        }

        public Builder coordinates(SourceCoordinates coordinates) {
            this.coordinates = coordinates;
            return this;
        }

        public Builder deliveryAttempt(int deliveryAttempt) {
            this.deliveryAttempt = deliveryAttempt;
            return this;
        }

        public Builder receivedAt(Instant receivedAt) {
            this.receivedAt = receivedAt;
            return this;
        }

        public Builder settler(Settler settler) {
            this.settler = settler;
            return this;
        }

        public InboundMessage build() {
            return new InboundMessage(this);
        }
    }
}
