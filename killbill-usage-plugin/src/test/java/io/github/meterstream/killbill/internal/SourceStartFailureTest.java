package io.github.meterstream.killbill.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.security.sasl.SaslException;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Why a source could not start")
class SourceStartFailureTest {

    static final String FIX = "org.killbill.osgi.system.bundle.export.packages.extra=javax.security.auth,";

    @Test
    @DisplayName("a JDK class the container does not export names Kill Bill's property and the value to add")
    void missingJdkClass() {
        String text = SourceStartFailure.describe(new NoClassDefFoundError("javax/security/sasl/SaslException"));
        assertThat(text).startsWith("java.lang.NoClassDefFoundError: javax/security/sasl/SaslException")
                .contains(FIX).contains("javax.security.sasl,").contains("javax.xml.datatype");
    }

    @Test
    @DisplayName("a SaslException under the client's own exception gets the same fix")
    void saslExceptionAsCause() {
        String text = SourceStartFailure.describe(new IllegalStateException("Failed to construct kafka consumer",
                new SaslException("no JAAS configuration")));
        assertThat(text).contains("Failed to construct kafka consumer").contains(FIX);
    }

    @Test
    @DisplayName("a configuration error thrown by a start is its message, which starts with the full key")
    void configurationError() {
        assertThat(SourceStartFailure.describe(new io.github.meterstream.core.config.ConfigException(
                "org.killbill.billing.plugin.meterstream.sources.usage.bootstrap-servers", "no resolvable address")))
                .isEqualTo("org.killbill.billing.plugin.meterstream.sources.usage.bootstrap-servers: no resolvable address");
    }

    @Test
    @DisplayName("any other failure is told as it is")
    void otherFailure() {
        assertThat(SourceStartFailure.describe(new NoClassDefFoundError("com/example/Missing")))
                .isEqualTo("java.lang.NoClassDefFoundError: com/example/Missing");
        assertThat(SourceStartFailure.describe(new IllegalStateException("boom"))).isEqualTo("java.lang.IllegalStateException: boom");
    }

    @Test
    @DisplayName("the value it names is the one the plugin README documents")
    void sameValueAsTheReadme() throws java.io.IOException {
        assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("README.md")))
                .contains(SourceStartFailure.EXTRA_EXPORTS_PROPERTY + '=' + SourceStartFailure.EXTRA_EXPORTS + '\n');
    }
}
