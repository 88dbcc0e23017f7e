package io.github.meterstream.killbill.internal;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * What the plugin reads from one decoded usage message. The plugin's rules and its Kill Bill writer
 * work on this view, not on the wire model, so that the message contract (module broker-core,
 * {@code io.github.meterstream.core.usage}) can evolve without touching the Kill Bill side; an adapter
 * of the contract's message the contract's message to it.
 */
public interface UsageRequest {

    /** The tenant id the message names, or {@code null} when it names an api key instead. */
    String tenantId();

    /** The tenant api key the message names, or {@code null}. */
    String apiKey();

    /** The Kill Bill subscription id, or {@code null} when the message names an external key. */
    String subscriptionId();

    /** The subscription external key, or {@code null}. */
    String subscriptionExternalKey();

    String trackingId();

    List<Unit> units();

    /** The usage of one unit type. */
    interface Unit {
        String unitType();

        List<Amount> records();
    }

    /** One dated amount. */
    interface Amount {
        Instant recordDate();

        BigDecimal amount();
    }

    /** The tenant as the message names it: the id, else the api key. */
    default String tenantRef() {
        return tenantId() != null ? tenantId() : apiKey();
    }

    /** The subscription as the message names it: the id, else the external key. */
    default String subscriptionRef() {
        return subscriptionId() != null ? subscriptionId() : subscriptionExternalKey();
    }
}
