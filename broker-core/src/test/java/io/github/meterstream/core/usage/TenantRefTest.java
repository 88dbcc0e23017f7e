package io.github.meterstream.core.usage;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The tenant a usage message names")
class TenantRefTest {

    @Test
    @DisplayName("a tenant id is kept lower case and is its own label")
    void byId() {
        TenantRef t = TenantRef.ofId("3F7A3C2E-8D1B-4C6E-9F0A-1B2C3D4E5F60");

        assertThat(t.byApiKey()).isFalse();
        assertThat(t.tenantId()).isEqualTo("3f7a3c2e-8d1b-4c6e-9f0a-1b2c3d4e5f60");
        assertThat(t.apiKey()).isNull();
        assertThat(t.label()).isEqualTo("3f7a3c2e-8d1b-4c6e-9f0a-1b2c3d4e5f60");
    }

    @Test
    @DisplayName("an api key is labelled apiKey:<key>, the form dead-letter envelopes carry, and masked in toString")
    void byApiKey() {
        TenantRef t = TenantRef.ofApiKey("bob");

        assertThat(t.byApiKey()).isTrue();
        assertThat(t.apiKey()).isEqualTo("bob");
        assertThat(t.tenantId()).isNull();
        assertThat(t.label()).isEqualTo("apiKey:bob");
        assertThat(t).hasToString("apiKey:***");
    }

    @Test
    @DisplayName("a message naming both is read by its id, and one naming neither has no tenant")
    void precedence() {
        assertThat(TenantRef.of("3f7a3c2e-8d1b-4c6e-9f0a-1b2c3d4e5f60", "bob")).isEqualTo(TenantRef.ofId("3f7a3c2e-8d1b-4c6e-9f0a-1b2c3d4e5f60"));
        assertThat(TenantRef.of(null, "bob")).isEqualTo(TenantRef.ofApiKey("bob"));
        assertThat(TenantRef.of(null, null)).isNull();
    }

    @Test
    @DisplayName("the contract's tenant label is the message's tenant's label")
    void contractLabel() {
        UsageMessageContract contract = new UsageMessageContract();
        UsageMessage m = contract.decode(("{\"apiKey\":\"bob\",\"subscriptionExternalKey\":\"s\",\"trackingId\":\"t\","
                + "\"unitUsageRecords\":[{\"unitType\":\"u\",\"usageRecords\":[{\"recordDate\":\"2024-04-20\",\"amount\":1}]}]}")
                .getBytes(StandardCharsets.UTF_8));

        assertThat(m.tenant()).isEqualTo(TenantRef.ofApiKey("bob"));
        assertThat(contract.tenant(m)).isEqualTo(m.tenant().label()).isEqualTo("apiKey:bob");
    }
}
