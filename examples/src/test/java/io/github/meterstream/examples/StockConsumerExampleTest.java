package io.github.meterstream.examples;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class StockConsumerExampleTest {

    @Test
    @DisplayName("the stock example applies each movement once, dead-letters the bad ones with their reason, and replays them once fixed")
    void runsAsDocumented() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            StockConsumerExample.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        original.print(printed);
        assertThat(printed).contains("stock: {W1/CHAIR-RED=7, W1/TABLE-OAK=8}");
        assertThat(printed).contains("dead-lettered e-2: NEGATIVE_STOCK - moving -5 of 'TABLE-OAK' would leave -3 in 'W1'");
        assertThat(printed).contains("dead-lettered e-3: UNKNOWN_SKU - SKU 'LAMP' is not stocked in warehouse 'W1'");
        assertThat(printed).contains("duplicates=1");
        assertThat(printed).contains("replay dry run: {WOULD_REPLAY=1}");
        assertThat(printed).contains("replay: {RECORDED=1}");
        assertThat(printed).contains("stock after replay: {W1/CHAIR-RED=7, W1/LAMP=4, W1/TABLE-OAK=8}");
    }
}
