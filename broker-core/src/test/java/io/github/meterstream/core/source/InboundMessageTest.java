package io.github.meterstream.core.source;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InboundMessageTest {

    @Test
    @DisplayName("a message accepts exactly one settlement")
    void oneSettlement() {
        List<Settlement> given = new ArrayList<>();
        InboundMessage m = InboundMessage.builder().payload(new byte[0])
                .coordinates(SourceCoordinates.of("s", "q", "1"))
                .settler((msg, s) -> {
                    given.add(s);
                    return CompletableFuture.completedFuture(null);
                }).build();
        m.ack();
        assertThatThrownBy(() -> m.deadLetter(DeadLetterEnvelope.builder().reasonCode("X").reason("x")
                .coordinates(m.coordinates()).lastFailureAt(java.time.Instant.now()).build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already settled (ACK)");
        assertThat(given).containsExactly(Settlement.ack());
    }

    @Test
    @DisplayName("a settler that throws yields a failed stage, not an exception in the caller")
    void settlerThrows() {
        InboundMessage m = InboundMessage.builder().payload(new byte[0])
                .coordinates(SourceCoordinates.of("s", "q", "1"))
                .settler((msg, s) -> {
                    throw new IllegalStateException("channel closed");
                }).build();
        assertThat(m.ack().toCompletableFuture()).isCompletedExceptionally();
    }

    @Test
    @DisplayName("coordinates print as source:destination[partition]@position")
    void coordinates() {
        assertThat(SourceCoordinates.of("usage", "topic", 2, 99L)).hasToString("usage:topic[2]@99");
        assertThat(SourceCoordinates.of("usage", "queue", "tag-7")).hasToString("usage:queue@tag-7");
    }
}
