package io.github.meterstream.killbill.internal;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A usage request built in tests. */
final class TestRequest implements UsageRequest {

    String tenantId;
    String apiKey;
    String subscriptionId;
    String externalKey;
    String trackingId = "trk-1";
    final List<Unit> units = new ArrayList<>();

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

    TestRequest usage(String unit, String date, String amount) {
        Instant at = Instant.parse(date);
        BigDecimal a = new BigDecimal(amount);
        Amount record = new Amount() {
            @Override
            public Instant recordDate() {
                return at;
            }

            @Override
            public BigDecimal amount() {
                return a;
            }
        };
        units.add(new Unit() {
            @Override
            public String unitType() {
                return unit;
            }

            @Override
            public List<Amount> records() {
                return List.of(record);
            }
        });
        return this;
    }

    @Override
    public String tenantId() {
        return tenantId;
    }

    @Override
    public String apiKey() {
        return apiKey;
    }

    @Override
    public String subscriptionId() {
        return subscriptionId;
    }

    @Override
    public String subscriptionExternalKey() {
        return externalKey;
    }

    @Override
    public String trackingId() {
        return trackingId;
    }

    @Override
    public List<Unit> units() {
        return units;
    }
}
