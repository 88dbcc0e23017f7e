package io.github.meterstream.killbill.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Kill Bill's clock ({@code org.killbill.clock.Clock}, which tests and Kill Bill's test mode move)
 * seen as a {@link java.time.Clock}, so that the plugin's rules compare record dates with the time
 * Kill Bill believes it is.
 */
public final class KillbillClock extends Clock {

    private final org.killbill.clock.Clock clock;

    public KillbillClock(org.killbill.clock.Clock clock) {
        this.clock = clock;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return Clock.fixed(instant(), zone);
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(clock.getUTCNow().getMillis());
    }
}
