package io.github.meterstream.examples;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class StockWindowsExampleTest {

    @Test
    @DisplayName("window starts sort in time order, whole seconds included")
    void windowsSortInTimeOrder() {
        String whole = StockWindowsExample.windowOf(java.time.Instant.parse("2026-12-03T21:35:55.200Z"));
        String half = StockWindowsExample.windowOf(java.time.Instant.parse("2026-12-03T21:35:55.700Z"));
        assertThat(whole).isEqualTo("2026-12-03T21:35:55.000Z");
        assertThat(half).isEqualTo("2026-12-03T21:35:55.500Z");
        assertThat(whole.compareTo(half)).isNegative();
    }

    @Test
    @DisplayName("the windows example emits every closed 500 ms window once, redeliveries not counted, totals exact")
    void runsAsDocumented() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            StockWindowsExample.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        original.print(printed);
        // 40 movements: i % 3 == 0 gives -1 (14 of them), the others +2 (26); CHAIR-RED takes the even i
        assertThat(printed).contains("published 40 movements (+4 redeliveries), total delta 38");
        assertThat(printed).contains("total per sku: {CHAIR-RED=19, TABLE-OAK=19}");
        Matcher windows = Pattern.compile("windows emitted: (\\d+) in (\\d+) roll-ups, distinct windows (\\d+)").matcher(printed);
        assertThat(windows.find()).isTrue();
        assertThat(Integer.parseInt(windows.group(1))).as("movements span more than one window").isGreaterThan(2);
        assertThat(windows.group(3)).as("each window emitted once").isEqualTo(windows.group(1));
    }
}
