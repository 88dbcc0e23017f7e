package io.github.meterstream.examples.relay;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.pipeline.MessageContext;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.SourceCoordinates;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Decoding and storing one event (H2)")
class EventLogTest {

    private static final MessageContext CONTEXT = new MessageContext() {
        @Override
        public SourceCoordinates coordinates() {
            return SourceCoordinates.of("relay", SampleEvents.ASSOCIATED, 0, 7);
        }

        @Override
        public int deliveryAttempt() {
            return 1;
        }

        @Override
        public int pipelineAttempt() {
            return 1;
        }

        @Override
        public Map<String, String> headers() {
            return Map.of();
        }
    };

    private static InboundMessage message(long offset, byte[] payload) {
        return InboundMessage.builder().payload(payload).coordinates(SourceCoordinates.of("relay", SampleEvents.ASSOCIATED, 0, offset))
                .receivedAt(Instant.parse("2026-12-03T10:15:30Z")).settler((m, s) -> java.util.concurrent.CompletableFuture.completedFuture(null))
                .build();
    }

    @Test
    @DisplayName("a redelivered event is a primary-key duplicate: stored once, acknowledged as already processed")
    void redeliveryIsStoredOnce() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:eventlog;DB_CLOSE_DELAY=-1");
        EventRelay.migrate(h2);
        EventLog log = new EventLog(h2, Dialect.H2);
        BieEventContract contract = new BieEventContract(null, BieEventContract.DEFAULT_DETAIL_FIELDS);
        BieEvent first = contract.decode(message(7, SampleEvents.event(1, 2, List.of("5260", "5261"))));
        BieEvent again = contract.decode(message(7, SampleEvents.event(1, 2, List.of("5260", "5261"))));
        BieEvent other = contract.decode(message(8, SampleEvents.event(1, 3, List.of("5260"))));

        assertThat(log.handle(first, CONTEXT)).isEqualTo(MessageHandler.Outcome.PROCESSED);
        assertThat(log.handle(again, CONTEXT)).isEqualTo(MessageHandler.Outcome.ALREADY_PROCESSED);
        assertThat(log.handle(other, CONTEXT)).isEqualTo(MessageHandler.Outcome.PROCESSED);

        assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM bie_event")).isEqualTo(2);
        assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM relay_outbox")).isEqualTo(2);
        assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM diagnostic_code")).isEqualTo(2);
        assertThat(RelayTlsIntegrationTest.count(h2, "SELECT COUNT(*) FROM bie_event_to_diagnostic_code")).isEqualTo(3);
        assertThat(RelayTlsIntegrationTest.strings(h2, "SELECT CAST(event_at AS VARCHAR(40)) FROM bie_event WHERE contention_id = '2'"))
                .containsExactly("2025-12-03 19:26:40");
        assertThat(RelayTlsIntegrationTest.strings(h2, "SELECT CAST(created_at AS VARCHAR(40)) FROM bie_event WHERE contention_id = '2'"))
                .as("UTC, without a zone").containsExactly("2026-12-03 10:15:30");
        assertThat(RelayTlsIntegrationTest.strings(h2, "SELECT payload FROM relay_outbox WHERE event_id = '" + first.id() + "'").get(0))
                .startsWith("{\"topic\":\"" + SampleEvents.ASSOCIATED + "\",\"notifiedAt\":\"2026-12-03T10:15:30Z\",\"event\":{\"eventId\"");
    }

    @Test
    @DisplayName("a configured id field identifies the event instead of its offset; an event without it is malformed")
    void idField() {
        BieEventContract contract = new BieEventContract("eventId", BieEventContract.DEFAULT_DETAIL_FIELDS);
        BieEvent at7 = contract.decode(message(7, SampleEvents.event(1, 2, List.of())));
        BieEvent at9 = contract.decode(message(9, SampleEvents.event(1, 2, List.of())));
        assertThat(at7.id()).isEqualTo(at9.id());
        assertThat(at7.identity()).isEqualTo(SampleEvents.ASSOCIATED + "/evt-1-2");
        assertThatThrownBy(() -> contract.decode(message(10, "{\"claimId\":1}".getBytes())))
                .isInstanceOfSatisfying(PermanentFailure.class, f -> assertThat(f.reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD))
                .hasMessageContaining("id field 'eventId'");
    }

    @Test
    @DisplayName("a malformed payload's failure text quotes nothing from the payload")
    void malformedTextHasNoPayload() {
        BieEventContract contract = new BieEventContract(null, BieEventContract.DEFAULT_DETAIL_FIELDS);
        for (String bad : List.of("{\"veteranParticipantId\": PII-796, \"claimId\": 1}", "PII-796", "{\"eventTime\":\"PII-796\"}")) {
            assertThatThrownBy(() -> contract.decode(message(1, bad.getBytes())))
                    .isInstanceOfSatisfying(PermanentFailure.class, f -> assertThat(f.getCause()).isNull())
                    .message().containsAnyOf("not JSON", "eventTime").doesNotContain("PII-796");
        }
    }

    @Test
    @DisplayName("payloads that cannot be stored are malformed, not retried")
    void malformed() {
        BieEventContract contract = new BieEventContract(null, BieEventContract.DEFAULT_DETAIL_FIELDS);
        for (String bad : List.of("{\"claimId\": 1,", "[1,2]", "{\"eventTime\":\"yesterday\"}", "{\"diagnosticCodes\":\"6100\"}",
                "{\"claimId\":{\"nested\":1}}")) {
            assertThatThrownBy(() -> contract.decode(message(1, bad.getBytes())))
                    .as(bad).isInstanceOfSatisfying(PermanentFailure.class,
                            f -> assertThat(f.reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD));
        }
    }
}
