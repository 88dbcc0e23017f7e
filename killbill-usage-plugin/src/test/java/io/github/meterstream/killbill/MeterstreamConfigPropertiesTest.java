package io.github.meterstream.killbill;

import io.github.meterstream.core.config.ConfigException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("The plugin's global configuration")
class MeterstreamConfigPropertiesTest {

    static final String P = MeterstreamConfigProperties.PREFIX;

    @Test
    @DisplayName("reads sources, their sections and the defaults, ignoring Kill Bill's other properties")
    void reads() {
        Properties p = new Properties();
        p.setProperty("org.killbill.dao.url", "jdbc:h2:mem:x");
        p.setProperty(P + "sources.usage.type", "kafka");
        p.setProperty(P + "sources.usage.pipeline.concurrency", "4");
        p.setProperty(P + "sources.backfill.type", "rabbitmq");
        MeterstreamConfigProperties c = MeterstreamConfigProperties.from(p);
        assertThat(c.sourceNames()).containsExactly("backfill", "usage");
        assertThat(c.source("usage").raw("pipeline.concurrency")).isEqualTo("4");
        assertThat(c.healthMaxPaused()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.idempotencyTable()).isEqualTo("meterstream_idempotency");
        assertThat(c.killbillUsername()).isNull();
    }

    @Test
    @DisplayName("an unknown key is refused, naming it")
    void unknownKey() {
        Properties p = new Properties();
        p.setProperty(P + "helth.max-paused", "1m");
        assertThatThrownBy(() -> MeterstreamConfigProperties.from(p)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(P + "helth.max-paused");
    }

    @Test
    @DisplayName("a username without password is refused, and the password never appears in toString")
    void credentials() {
        Properties p = new Properties();
        p.setProperty(P + "killbill.username", "admin");
        assertThatThrownBy(() -> MeterstreamConfigProperties.from(p)).hasMessageContaining(P + "killbill.password");
        p.setProperty(P + "killbill.password", "s3cret");
        assertThat(MeterstreamConfigProperties.from(p).toString()).doesNotContain("s3cret").contains("admin");
    }
}
