package io.github.meterstream.core.usage;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The Java path of the contract, exactly as the pipeline runs it: decode, then Bean Validation. */
final class UsageTestSupport {

    static final String TENANT = "3f7a3c2e-8d1b-4c6e-9f0a-1b2c3d4e5f60";
    static final String SUBSCRIPTION = "9b1d2c3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e";

    private static final ValidatorFactory FACTORY = ConsumerPipeline.defaultValidatorFactory();
    static final Validator VALIDATOR = FACTORY.getValidator();

    private UsageTestSupport() {
    }

    /** The failure the pipeline would dead-letter the payload with, or empty when it is accepted. */
    static Optional<PermanentFailure> check(UsageMessageContract contract, byte[] payload) {
        UsageMessage decoded;
        try {
            decoded = contract.decode(payload);
        } catch (PermanentFailure e) {
            return Optional.of(e);
        }
        Set<ConstraintViolation<UsageMessage>> violations = VALIDATOR.validate(decoded);
        if (violations.isEmpty()) {
            return Optional.empty();
        }
        String text = violations.stream().map(v -> v.getPropertyPath() + ": " + v.getMessage()).sorted()
                .collect(Collectors.joining("; "));
        return Optional.of(new PermanentFailure(ReasonCodes.INVALID_MESSAGE, text, contract.tenant(decoded),
                contract.trackingId(decoded), null));
    }

    static Optional<PermanentFailure> check(String json) {
        return check(new UsageMessageContract(), json.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes and validates {@code json}, failing the test with the reason when it is refused. */
    static UsageMessage accepted(String json) {
        Optional<PermanentFailure> failure = check(json);
        if (failure.isPresent()) {
            throw new AssertionError("expected the message to be accepted, but: " + failure.get().reasonCode() + " "
                    + failure.get().getMessage());
        }
        return new UsageMessageContract().decode(json.getBytes(StandardCharsets.UTF_8));
    }

    static PermanentFailure refused(String json) {
        return check(json).orElseThrow(() -> new AssertionError("expected the message to be refused: " + json));
    }

    /** A valid message in the Kafka consumer plugin's shape with {@code records} as its usageRecords array. */
    static String withRecords(String records) {
        return "{\"subscriptionExternalKey\":\"sub-1\",\"trackingId\":\"trk-1\",\"tenantId\":\"" + TENANT + "\","
                + "\"unitUsageRecords\":[{\"unitType\":\"api-calls\",\"usageRecords\":" + records + "}]}";
    }

    static String withAmount(String amount) {
        return withRecords("[{\"recordDate\":\"2024-04-20T02:59:33.147\",\"amount\":" + amount + "}]");
    }

    static String withDate(String date) {
        return withRecords("[{\"recordDate\":\"" + date + "\",\"amount\":1}]");
    }
}
