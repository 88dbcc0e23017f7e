package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.MeterstreamReasonCodes;
import io.github.meterstream.killbill.line.KillbillLine;
import io.github.meterstream.killbill.line.kb022.Killbill022Line;
import io.github.meterstream.killbill.line.kb024.Killbill024Line;
import org.joda.time.DateTime;
import org.joda.time.LocalDate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Choosing the Kill Bill line")
class KillbillLinesTest {

    /** A UsageRecord as killbill-api 0.54 declares it. */
    public static final class UsageRecord054 {
        public UsageRecord054(DateTime date, BigDecimal amount) {
        }
    }

    /** A UsageRecord as killbill-api 0.53 declares it. */
    public static final class UsageRecord053 {
        public UsageRecord053(LocalDate date, Long amount) {
        }
    }

    /** A UsageRecord of a killbill-api no line was built for. */
    public static final class UsageRecordOfSomeOtherApi {
        public UsageRecordOfSomeOtherApi(java.time.Instant date, double amount) {
        }
    }

    @Test
    @DisplayName("UsageRecord(DateTime, BigDecimal) picks the 0.24 line, UsageRecord(LocalDate, Long) the 0.22 line")
    void byUsageRecordConstructor() {
        assertThat(KillbillLines.select(UsageRecord054.class)).isInstanceOf(Killbill024Line.class);
        assertThat(KillbillLines.select(UsageRecord053.class)).isInstanceOf(Killbill022Line.class);
    }

    @Test
    @DisplayName("the killbill-api the plugin is built with (0.54) gets the 0.24 line")
    void thisBuild() {
        assertThat(KillbillLines.detect()).isInstanceOf(Killbill024Line.class);
        assertThat(KillbillLines.detect().describe()).contains("Kill Bill 0.24");
    }

    @Test
    @DisplayName("a killbill-api that fits no line is refused with what was found and what would fit")
    void noLineFits() {
        assertThatThrownBy(() -> KillbillLines.select(UsageRecordOfSomeOtherApi.class))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fits no Kill Bill line")
                .hasMessageContaining("(Instant, double)")
                .hasMessageContaining("(DateTime, BigDecimal) (killbill-api 0.54, Kill Bill 0.24)")
                .hasMessageContaining("(LocalDate, Long) (killbill-api 0.53, Kill Bill 0.22)");
    }

    @Test
    @DisplayName("the lines' INVALID_AMOUNT is the plugin's reason code")
    void sameReasonCode() {
        assertThat(KillbillLine.INVALID_AMOUNT).isEqualTo(MeterstreamReasonCodes.INVALID_AMOUNT);
    }
}
