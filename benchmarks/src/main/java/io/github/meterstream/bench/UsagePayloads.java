package io.github.meterstream.bench;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;

/** Usage messages (docs/MESSAGE-FORMAT.md), and the per-message work a hand-written consumer would do. */
final class UsagePayloads {

    static final String TENANT = "3f7a3c2e-8d1b-4c6e-9f0a-1b2c3d4e5f60";
    private static final String[] SUBSCRIPTIONS = new String[1000];

    static {
        for (int i = 0; i < SUBSCRIPTIONS.length; i++) {
            SUBSCRIPTIONS[i] = new UUID(0x5EED_0000_0000_4000L, 0x8000_0000_0000_0000L | i).toString();
        }
    }

    private UsagePayloads() {
    }

    /** Message {@code i} of run {@code run}: subscription {@code i % subscriptions}, a unique tracking id. */
    static byte[] payload(String run, int i, int subscriptions) {
        String json = "{\"subscriptionId\":\"" + SUBSCRIPTIONS[i % subscriptions] + "\",\"trackingId\":\"" + run + '-' + i
                + "\",\"tenantId\":\"" + TENANT + "\",\"unitUsageRecords\":[{\"unitType\":\"api-calls\",\"usageRecords\":"
                + "[{\"recordDate\":\"2026-11-20T02:59:33.147\",\"amount\":" + (1 + i % 7) + "}]}]}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] payload(String run, int i) {
        return payload(run, i, 1000);
    }

    static String subscription(int i) {
        return SUBSCRIPTIONS[i];
    }

    /** Decode + Bean Validation exactly as the pipeline does; throws if the message is not valid. */
    static final class Work {
        final UsageMessageContract contract = new UsageMessageContract();
        final ValidatorFactory factory = ConsumerPipeline.defaultValidatorFactory();
        final Validator validator = factory.getValidator();

        UsageMessage decodeAndValidate(byte[] payload) {
            UsageMessage m = contract.decode(payload);
            Set<ConstraintViolation<UsageMessage>> v = validator.validate(m);
            if (!v.isEmpty()) {
                throw new IllegalStateException("benchmark message is invalid: " + v);
            }
            return m;
        }
    }
}
