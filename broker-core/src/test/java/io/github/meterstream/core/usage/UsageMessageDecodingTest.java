package io.github.meterstream.core.usage;

import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.ReasonCodes;
import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigValues;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static io.github.meterstream.core.usage.UsageTestSupport.SUBSCRIPTION;
import static io.github.meterstream.core.usage.UsageTestSupport.TENANT;
import static io.github.meterstream.core.usage.UsageTestSupport.accepted;
import static io.github.meterstream.core.usage.UsageTestSupport.refused;
import static io.github.meterstream.core.usage.UsageTestSupport.withAmount;
import static io.github.meterstream.core.usage.UsageTestSupport.withDate;
import static io.github.meterstream.core.usage.UsageTestSupport.withRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("A usage message")
class UsageMessageDecodingTest {

    @Nested
    @DisplayName("in the Kafka consumer plugin's format")
    class KafkaConsumerPluginFormat {

        @Test
        @DisplayName("is accepted unchanged, every field read")
        void isAcceptedUnchanged() {
            UsageMessage m = accepted("{\"subscriptionExternalKey\":\"sub-ext-key-1\",\"trackingId\":\"trk-0001\","
                    + "\"tenantId\":\"" + TENANT + "\",\"unitUsageRecords\":[{\"unitType\":\"api-calls\","
                    + "\"usageRecords\":[{\"recordDate\":\"2024-04-20T02:59:33.147\",\"amount\":1}]}]}");

            assertThat(m.subscriptionExternalKey()).isEqualTo("sub-ext-key-1");
            assertThat(m.subscriptionId()).isNull();
            assertThat(m.tenantId()).isEqualTo(TENANT);
            assertThat(m.trackingId()).isEqualTo("trk-0001");
            assertThat(m.schemaVersion()).isEqualTo(1);
            assertThat(m.unitUsageRecords()).singleElement().satisfies(u -> {
                assertThat(u.unitType()).isEqualTo("api-calls");
                assertThat(u.usageRecords()).singleElement().satisfies(r -> {
                    assertThat(r.recordDate()).isEqualTo(Instant.parse("2024-04-20T02:59:33.147Z"));
                    assertThat(r.amount()).isEqualByComparingTo("1");
                });
            });
        }

        @Test
        @DisplayName("may carry fields this consumer does not know")
        void toleratesUnknownFields() {
            UsageMessage m = accepted("{\"producer\":\"agent/3\",\"subscriptionExternalKey\":\"k\",\"trackingId\":\"t\","
                    + "\"tenantId\":\"" + TENANT + "\",\"unitUsageRecords\":[{\"unitType\":\"u\",\"x\":{},\"usageRecords\":"
                    + "[{\"recordDate\":\"2024-04-20\",\"amount\":1,\"note\":[1]}]}]}");

            assertThat(m.recordCount()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("names its subscription")
    class Subscription {

        @Test
        @DisplayName("by the alias externalSubKey as well as by subscriptionExternalKey")
        void byAlias() {
            UsageMessage m = accepted(withRecords("[{\"recordDate\":\"2024-04-20\",\"amount\":1}]")
                    .replace("\"subscriptionExternalKey\"", "\"externalSubKey\""));

            assertThat(m.subscriptionExternalKey()).isEqualTo("sub-1");
        }

        @Test
        @DisplayName("by id, normalised to lower case")
        void byId() {
            UsageMessage m = accepted(withAmount("1").replace("\"subscriptionExternalKey\":\"sub-1\"",
                    "\"subscriptionId\":\"" + SUBSCRIPTION.toUpperCase() + "\""));

            assertThat(m.subscriptionId()).isEqualTo(SUBSCRIPTION);
            assertThat(m.subscriptionExternalKey()).isNull();
        }

        @Test
        @DisplayName("by id and external key at once is refused as ambiguous")
        void byBothIsAmbiguous() {
            PermanentFailure f = refused(withAmount("1").replace("{\"subscriptionExternalKey\"",
                    "{\"subscriptionId\":\"" + SUBSCRIPTION + "\",\"subscriptionExternalKey\""));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.INVALID_MESSAGE);
            assertThat(f.getMessage()).startsWith("subscriptionId: is ambiguous");
        }

        @Test
        @DisplayName("by external key and its alias at once is refused as ambiguous, even with equal values")
        void byKeyAndAliasIsAmbiguous() {
            PermanentFailure f = refused(withAmount("1").replace("{\"subscriptionExternalKey\":\"sub-1\"",
                    "{\"subscriptionExternalKey\":\"sub-1\",\"externalSubKey\":\"sub-1\""));

            assertThat(f.getMessage()).startsWith("externalSubKey: is ambiguous");
        }

        @Test
        @DisplayName("not at all is refused, saying how to name it")
        void missing() {
            PermanentFailure f = refused(withAmount("1").replace("\"subscriptionExternalKey\":\"sub-1\",", ""));

            assertThat(f.getMessage()).isEqualTo("subscriptionExternalKey: is required: name the subscription by "
                    + "subscriptionExternalKey (alias externalSubKey) or by subscriptionId");
        }
    }

    @Nested
    @DisplayName("names its tenant")
    class Tenant {

        @Test
        @DisplayName("by API key instead of tenant id")
        void byApiKey() {
            UsageMessage m = accepted(withAmount("1").replace("\"tenantId\":\"" + TENANT + "\"", "\"apiKey\":\"bob\""));

            assertThat(m.apiKey()).isEqualTo("bob");
            assertThat(m.tenantId()).isNull();
        }

        @Test
        @DisplayName("by both tenant id and API key is refused as ambiguous")
        void byBoth() {
            PermanentFailure f = refused(withAmount("1").replace("{", "{\"apiKey\":\"bob\","));

            assertThat(f.getMessage()).startsWith("apiKey: is ambiguous");
        }

        @Test
        @DisplayName("with a null field counted as absent")
        void nullIsAbsent() {
            UsageMessage m = accepted(withAmount("1").replaceFirst("\\{", "{\"apiKey\":null,\"subscriptionId\":null,"));

            assertThat(m.apiKey()).isNull();
        }

        @Test
        @DisplayName("by an id that is not a UUID is refused")
        void idNotUuid() {
            PermanentFailure f = refused(withAmount("1").replace(TENANT, "acme"));

            assertThat(f.getMessage()).startsWith("tenantId: must be a Kill Bill tenant id, a UUID");
            assertThat(f.tenant()).isEqualTo("acme");
        }
    }

    @Nested
    @DisplayName("has a tracking id")
    class TrackingId {

        @Test
        @DisplayName("of 128 characters at most")
        void atMost128() {
            accepted(withAmount("1").replace("trk-1", "t".repeat(128)));
            PermanentFailure f = refused(withAmount("1").replace("trk-1", "t".repeat(129)));

            assertThat(f.getMessage()).isEqualTo("trackingId: must be 1 to 128 characters");
        }

        @Test
        @DisplayName("that is required")
        void required() {
            PermanentFailure f = refused(withAmount("1").replace("\"trackingId\":\"trk-1\",", ""));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.INVALID_MESSAGE);
            assertThat(f.getMessage()).startsWith("trackingId: is required");
            assertThat(f.tenant()).isEqualTo(TENANT);
        }
    }

    @Nested
    @DisplayName("dates its records")
    class RecordDates {

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"2024-04-20T02:59:33.147+02:00", "2024-04-20T00:59:33.147Z", "2024-04-20T00:59:33.147"})
        @DisplayName("with or without offset, a missing offset meaning UTC")
        void withOrWithoutOffset(String date) {
            UsageMessage m = accepted(withDate(date));

            UsageRecordEntry r = m.unitUsageRecords().get(0).usageRecords().get(0);
            assertThat(r.recordDate()).isEqualTo(Instant.parse("2024-04-20T00:59:33.147Z"));
            assertThat(r.dateOnly()).isFalse();
            assertThat(r.recordDateText()).isEqualTo(date);
        }

        @Test
        @DisplayName("with a date only, meaning the start of that day in UTC")
        void dateOnly() {
            UsageRecordEntry r = accepted(withDate("2024-04-20")).unitUsageRecords().get(0).usageRecords().get(0);

            assertThat(r.recordDate()).isEqualTo(Instant.parse("2024-04-20T00:00:00Z"));
            assertThat(r.dateOnly()).isTrue();
        }

        @Test
        @DisplayName("and a bad date is refused naming the exact record")
        void badDateNamesPath() {
            PermanentFailure f = refused(withRecords("[{\"recordDate\":\"2024-04-20\",\"amount\":1},"
                    + "{\"recordDate\":\"20/04/2024\",\"amount\":1}]"));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.INVALID_MESSAGE);
            assertThat(f.getMessage()).startsWith("unitUsageRecords[0].usageRecords[1].recordDate: must be an ISO-8601 "
                    + "date-time with offset");
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"2024-02-30", "2023-02-29", "2024-04-20T24:00:00", "2024-04-20T02:59:33+18:30",
                "2024-04-20 02:59:33", "2024-04-20T02:59:33.1234567890Z", "20240420", ""})
        @DisplayName("that does not exist or is not ISO-8601 is refused")
        void impossibleDates(String date) {
            assertThat(refused(withDate(date)).getMessage()).contains("recordDate: must be an ISO-8601");
        }
    }

    @Nested
    @DisplayName("gives each record an amount")
    class Amounts {

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"0", "1", "1.50", "0.000000001", "999999999.999999999", "2.5E2", "1.000000000000"})
        @DisplayName("that fits Kill Bill's decimal(18,9), kept exactly as sent")
        void fitsDecimal18_9(String amount) {
            UsageRecordEntry r = accepted(withAmount(amount)).unitUsageRecords().get(0).usageRecords().get(0);

            assertThat(r.amount()).isEqualTo(new BigDecimal(amount));
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"0.0000000001", "1000000000", "1E+9", "123456789012.5"})
        @DisplayName("and refuses one with more than 9 digits either side of the point")
        void tooManyDigits(String amount) {
            PermanentFailure f = refused(withAmount(amount));

            assertThat(f.getMessage()).isEqualTo("unitUsageRecords[0].usageRecords[0].amount: must fit Kill Bill's "
                    + "decimal(18,9): at most 9 digits before and 9 after the decimal point");
        }

        @Test
        @DisplayName("and refuses a negative one")
        void negative() {
            assertThat(refused(withAmount("-0.5")).getMessage())
                    .isEqualTo("unitUsageRecords[0].usageRecords[0].amount: must not be negative");
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"\"1\"", "true", "[1]"})
        @DisplayName("as a JSON number only: anything else is a malformed payload naming the field")
        void numberOnly(String amount) {
            PermanentFailure f = refused(withAmount(amount));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD);
            assertThat(f.getMessage()).startsWith("unitUsageRecords[0].usageRecords[0].amount: expected a number");
            assertThat(f.tenant()).isEqualTo(TENANT);
            assertThat(f.trackingId()).isEqualTo("trk-1");
        }

        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"NaN", "Infinity", "-Infinity"})
        @DisplayName("and NaN or infinity is not JSON at all")
        void notANumber(String amount) {
            PermanentFailure f = refused(withAmount(amount));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD);
            assertThat(f.getMessage()).startsWith("payload is not valid JSON at line 1, column ");
        }
    }

    @Nested
    @DisplayName("declares its schema version")
    class SchemaVersion {

        @Test
        @DisplayName("as 1, or not at all, meaning 1")
        void oneOrAbsent() {
            assertThat(accepted(withAmount("1").replaceFirst("\\{", "{\"schemaVersion\":1,")).schemaVersion()).isEqualTo(1);
            assertThat(accepted(withAmount("1")).schemaVersion()).isEqualTo(1);
        }

        @Test
        @DisplayName("and a newer one is refused with a reason a producer can act on")
        void newerRefused() {
            PermanentFailure f = refused(withAmount("1").replaceFirst("\\{", "{\"schemaVersion\":2,"));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.INVALID_MESSAGE);
            assertThat(f.getMessage()).isEqualTo("schemaVersion: is newer than this consumer understands: only schema "
                    + "version 1 is known; upgrade Meterstream or publish version 1");
        }
    }

    @Nested
    @DisplayName("holds a limited number of records")
    class Limits {

        private String records(int units, int perUnit) {
            StringBuilder sb = new StringBuilder("[");
            for (int u = 0; u < units; u++) {
                sb.append(u == 0 ? "" : ",").append("{\"unitType\":\"u").append(u).append("\",\"usageRecords\":[");
                for (int r = 0; r < perUnit; r++) {
                    sb.append(r == 0 ? "" : ",").append("{\"recordDate\":\"2024-04-20\",\"amount\":").append(r).append('}');
                }
                sb.append("]}");
            }
            return withAmount("1").replaceFirst("\\[\\{\"unitType\".*\\]\\}\\]", sb.append("]").toString());
        }

        @Test
        @DisplayName("1000 by default, summed over all unit types")
        void defaultLimitSumsUnits() {
            assertThat(accepted(records(4, 250)).recordCount()).isEqualTo(1000);
            PermanentFailure f = refused(records(3, 334));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.INVALID_MESSAGE);
            assertThat(f.getMessage()).startsWith("unitUsageRecords: 1002 usage records, the limit is 1000 "
                    + "(usage.max-records-per-message)");
            assertThat(f.trackingId()).isEqualTo("trk-1");
        }

        @Test
        @DisplayName("set through usage.max-records-per-message")
        void configurable() {
            UsageContractConfig config = UsageContractConfig.from(ConfigValues.of("org.killbill.billing.plugin.meterstream.",
                    Map.of("usage.max-records-per-message", "3")));
            UsageMessageContract contract = new UsageMessageContract(config);

            assertThat(UsageTestSupport.check(contract, records(1, 3).getBytes(StandardCharsets.UTF_8))).isEmpty();
            assertThat(UsageTestSupport.check(contract, records(2, 2).getBytes(StandardCharsets.UTF_8)))
                    .hasValueSatisfying(f -> assertThat(f.getMessage()).contains("the limit is 3"));
        }

        @Test
        @DisplayName("and a limit below 1 is a configuration error naming the key")
        void limitBelowOne() {
            assertThatThrownBy(() -> UsageContractConfig.from(ConfigValues.of("p.", Map.of("usage.max-records-per-message", "0"))))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("p.usage.max-records-per-message")
                    .hasMessageContaining("must be at least 1");
        }
    }

    @Nested
    @DisplayName("that cannot be read")
    class Malformed {

        @Test
        @DisplayName("because it is not JSON is refused with the line and column")
        void syntaxError() {
            PermanentFailure f = refused("{\n  \"trackingId\": \"t\",\n  \"tenantId\" \"x\"\n}");

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD);
            assertThat(f.getMessage()).startsWith("payload is not valid JSON at line 3, column ");
        }

        @Test
        @DisplayName("because a field has the wrong type still names its tenant and tracking id")
        void wrongTypeKeepsCoordinates() {
            PermanentFailure f = refused(withAmount("1").replace("[{\"unitType\"", "{\"unitType\"").replace("}]}]}", "}]}}"));

            assertThat(f.reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD);
            assertThat(f.getMessage()).isEqualTo("unitUsageRecords: expected an array, got an object");
            assertThat(f.tenant()).isEqualTo(TENANT);
            assertThat(f.trackingId()).isEqualTo("trk-1");
        }

        @Test
        @DisplayName("because a field named by API key has the wrong type names the tenant as apiKey:<key>")
        void apiKeyTenantInFailure() {
            PermanentFailure f = refused(withAmount("\"1\"").replace("\"tenantId\":\"" + TENANT + "\"", "\"apiKey\":\"bob\""));

            assertThat(f.tenant()).isEqualTo("apiKey:bob");
        }

        @ParameterizedTest(name = "\"{0}\"")
        @ValueSource(strings = {"", "   ", "[]", "\"usage\"", "42", "null"})
        @DisplayName("because it is not a JSON object is a malformed payload")
        void notAnObject(String payload) {
            assertThat(refused(payload).reasonCode()).isEqualTo(ReasonCodes.MALFORMED_PAYLOAD);
        }

        @Test
        @DisplayName("because a field appears twice is refused: which value was meant cannot be known")
        void duplicateField() {
            PermanentFailure f = refused(withAmount("1").replaceFirst("\\{", "{\"trackingId\":\"other\","));

            assertThat(f.getMessage()).contains("Duplicate field 'trackingId'");
        }
    }
}
