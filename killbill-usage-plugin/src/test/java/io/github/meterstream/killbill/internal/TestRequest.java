package io.github.meterstream.killbill.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * A usage message built in tests: the fields set here become its JSON, which the contract decodes
 * into the {@link UsageMessage} the plugin reads (not validated: the recorder's own checks are
 * what the tests reach).
 */
final class TestRequest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final UsageMessageContract CONTRACT = new UsageMessageContract();

    String tenantId;
    String apiKey;
    String subscriptionId;
    String externalKey;
    String trackingId = "trk-1";
    private final List<String[]> records = new ArrayList<>();

    static TestRequest forTenant(Object tenantId) {
        TestRequest r = new TestRequest();
        r.tenantId = tenantId.toString();
        return r;
    }

    TestRequest subscription(Object id) {
        subscriptionId = id.toString();
        return this;
    }

    TestRequest tracking(String id) {
        trackingId = id;
        return this;
    }

    /** One unit with one record of {@code amount} at {@code date} (an instant, as the JSON carries it). */
    TestRequest usage(String unit, String date, String amount) {
        records.add(new String[] {unit, date, amount});
        return this;
    }

    UsageMessage message() {
        ObjectNode m = JSON.createObjectNode();
        m.put("tenantId", tenantId);
        m.put("apiKey", apiKey);
        m.put("subscriptionId", subscriptionId);
        m.put("subscriptionExternalKey", externalKey);
        m.put("trackingId", trackingId);
        ArrayNode units = m.putArray("unitUsageRecords");
        for (String[] r : records) {
            ObjectNode unit = units.addObject();
            unit.put("unitType", r[0]);
            ObjectNode record = unit.putArray("usageRecords").addObject();
            record.put("recordDate", r[1]);
            record.put("amount", new BigDecimal(r[2]));
        }
        try {
            return CONTRACT.decode(JSON.writeValueAsBytes(m));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
