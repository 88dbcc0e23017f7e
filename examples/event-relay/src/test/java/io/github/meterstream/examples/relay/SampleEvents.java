package io.github.meterstream.examples.relay;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/** BIE contention events as the other organisation publishes them, PII fields included. */
final class SampleEvents {

    static final String ASSOCIATED = "TST_CONTENTION_BIE_CONTENTION_ASSOCIATED_TO_CLAIM_V02";
    static final String DELETED = "TST_CONTENTION_BIE_CONTENTION_DELETED_V02";
    /** A person's identifier that the relay must never store: it is not on the allow-list. */
    static final String PII_FIELD = "veteranParticipantId";

    private SampleEvents() {
    }

    static byte[] event(long claimId, long contentionId, List<String> diagnosticCodes) {
        String codes = diagnosticCodes.stream().map(c -> '"' + c + '"').collect(Collectors.joining(","));
        return ("{\"eventId\":\"evt-" + claimId + "-" + contentionId + "\",\"claimId\":" + claimId
                + ",\"contentionId\":" + contentionId + ",\"contentionClassificationName\":\"Hearing Loss\""
                + ",\"contentionTypeCode\":\"NEW\",\"diagnosticCodes\":[" + codes + "],\"eventTime\":1764790000000"
                + ",\"actionName\":\"ADDED\",\"" + PII_FIELD + "\":\"PII-" + contentionId + "\",\"actorUserId\":\"u" + contentionId
                + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] malformed() {
        return "{\"claimId\": 1, \"contentionId\": ".getBytes(StandardCharsets.UTF_8);
    }
}
