package io.github.meterstream.killbill;

import io.github.meterstream.core.failure.ReasonCodes;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/REJECTED-USAGE.md has one row per reason code the code can write, and no other. */
@DisplayName("The rejected-usage page")
class RejectedUsageDocTest {

    static TreeSet<String> codes(Class<?> holder) throws IllegalAccessException {
        TreeSet<String> out = new TreeSet<>();
        for (Field f : holder.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                out.add((String) f.get(null));
            }
        }
        return out;
    }

    @Test
    @DisplayName("says what to fix and whether to replay for every reason code, broker-core's and the plugin's")
    void everyReasonCode() throws Exception {
        TreeSet<String> expected = codes(ReasonCodes.class);
        expected.addAll(codes(MeterstreamReasonCodes.class));
        String page = Files.readString(Path.of("..", "docs", "REJECTED-USAGE.md"), StandardCharsets.UTF_8);
        Matcher row = Pattern.compile("^\\| `([A-Z_]+)` \\|", Pattern.MULTILINE).matcher(page);
        TreeSet<String> documented = new TreeSet<>();
        while (row.find()) {
            documented.add(row.group(1));
        }
        assertThat(expected).contains("UNIT_NOT_IN_PLAN", "INVALID_MESSAGE");
        assertThat(documented).isEqualTo(expected);
    }
}
