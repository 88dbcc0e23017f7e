package io.github.meterstream.core.usage.internal;

import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.usage.UnitUsageRecord;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageRecordEntry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The parts of idempotency keys and the content fingerprint of usage messages. */
public final class UsageKeys {

    private UsageKeys() {
    }

    /**
     * The subscription as an idempotency scope: {@code id:<uuid>} or {@code key:<external key>}.
     * Prefixed because an external key may itself look like a UUID.
     */
    public static String subscriptionScope(UsageMessage m) {
        return m.subscriptionId() != null ? "id:" + m.subscriptionId() : fit("key:", m.subscriptionExternalKey());
    }

    /** The scope of a subscription known by its id (from the message or resolved from its external key). */
    public static String subscriptionIdScope(String subscriptionId) {
        return "id:" + subscriptionId.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * {@code prefix + value} when that fits an {@link IdempotencyKey} part; otherwise the value's
     * SHA-256, so that a 255-character external key still makes a key, and distinct values
     * distinct keys.
     */
    public static String fit(String prefix, String value) {
        String whole = prefix + value;
        if (whole.length() <= IdempotencyKey.MAX_PART_LENGTH) {
            return whole;
        }
        return prefix + "sha256:" + sha256Hex(value);
    }

    /**
     * SHA-256 of the content: tenant, subscription, and every (unit type, instant, amount) triple,
     * sorted. Sorting makes the fingerprint independent of the order and grouping of records, which
     * do not change what Kill Bill records; amounts are compared by value ({@code 1.0} = {@code 1}),
     * dates by instant ({@code 2024-04-20} = {@code 2024-04-20T00:00:00Z}).
     */
    public static String fingerprint(String tenantNamespace, String subscriptionScope, UsageMessage m) {
        List<String> records = new ArrayList<>();
        for (UnitUsageRecord unit : m.unitUsageRecords()) {
            for (UsageRecordEntry r : unit.usageRecords()) {
                StringBuilder line = new StringBuilder();
                field(line, unit.unitType());
                field(line, r.recordDate() == null ? r.recordDateText() : r.recordDate().toString());
                field(line, r.amount() == null ? null : r.amount().stripTrailingZeros().toPlainString());
                records.add(line.toString());
            }
        }
        Collections.sort(records);
        StringBuilder canonical = new StringBuilder("usage/1\n");
        field(canonical, tenantNamespace);
        field(canonical, subscriptionScope);
        canonical.append('\n');
        for (String r : records) {
            canonical.append(r).append('\n');
        }
        return sha256Hex(canonical.toString());
    }

    // Length-prefixed, so that no value can imitate a separator.
    private static void field(StringBuilder sb, String value) {
        if (value == null) {
            sb.append("-;");
        } else {
            sb.append(value.length()).append(':').append(value).append(';');
        }
    }

    /** One digest per thread: looking one up by name costs about as much as hashing a message. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    });

    private static String sha256Hex(String s) {
        byte[] digest = SHA_256.get().digest(s.getBytes(StandardCharsets.UTF_8)); // digest() resets it for the next
        StringBuilder hex = new StringBuilder(64);
        for (byte b : digest) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return hex.toString();
    }
}
