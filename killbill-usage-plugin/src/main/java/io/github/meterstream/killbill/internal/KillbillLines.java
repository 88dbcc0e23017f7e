package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.line.KillbillLine;
import io.github.meterstream.killbill.line.kb022.Killbill022Line;
import io.github.meterstream.killbill.line.kb024.Killbill024Line;
import org.joda.time.DateTime;
import org.joda.time.LocalDate;
import org.killbill.billing.usage.api.UsageRecord;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Picks the {@link KillbillLine} built for the Kill Bill the plugin runs in. The bundle carries one
 * implementation per line, each compiled against its line's killbill-api; the {@code UsageRecord}
 * class that Kill Bill exports to the bundle tells them apart by its one constructor:
 * {@code (DateTime, BigDecimal)} in killbill-api 0.54 (Kill Bill 0.24), {@code (LocalDate, Long)} in
 * 0.53 (Kill Bill 0.22). Only the chosen implementation is ever loaded, so the other line's
 * signatures are never linked.
 */
public final class KillbillLines {

    private KillbillLines() {
    }

    /**
     * The line of the killbill-api visible to the plugin.
     *
     * @throws IllegalStateException naming what was found, when no embedded line fits this killbill-api
     */
    public static KillbillLine detect() {
        return select(UsageRecord.class);
    }

    static KillbillLine select(Class<?> usageRecord) {
        if (hasConstructor(usageRecord, DateTime.class, BigDecimal.class)) {
            return new Killbill024Line();
        }
        if (hasConstructor(usageRecord, LocalDate.class, Long.class)) {
            return new Killbill022Line();
        }
        String found = Arrays.stream(usageRecord.getConstructors())
                .map(c -> Arrays.stream(c.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")")))
                .collect(Collectors.joining(", "));
        throw new IllegalStateException("this Kill Bill's killbill-api fits no Kill Bill line this plugin was built for: "
                + usageRecord.getName() + " has the constructors [" + found + "], not (DateTime, BigDecimal) (killbill-api 0.54, "
                + "Kill Bill 0.24) nor (LocalDate, Long) (killbill-api 0.53, Kill Bill 0.22); use a Meterstream release built "
                + "for this Kill Bill version");
    }

    private static boolean hasConstructor(Class<?> type, Class<?>... parameters) {
        try {
            type.getConstructor(parameters);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
