package io.github.meterstream.core.rollup;

/** The sink refused or failed a roll-up; the roll-up stays pending and is sent again, with the same id, at the next flush. */
public final class RollupSendException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Rollup rollup;

    RollupSendException(Rollup rollup, Throwable cause) {
        super("sending " + rollup + " failed; it stays pending: " + cause, cause);
        this.rollup = rollup;
    }

    public Rollup rollup() {
        return rollup;
    }
}
