package io.github.meterstream.core.source;

import java.time.Instant;
import java.util.Objects;

/** A source's own view of its connection, as reported by {@link BrokerSource#health()}. */
public final class SourceHealth {

    /** Connection states a source reports. */
    public enum State {
        /** Created, {@code start} not called yet. */
        NOT_STARTED,
        /** Connecting or reconnecting. */
        CONNECTING,
        /** Connected and consuming (possibly paused). */
        CONNECTED,
        /** Lost its connection; the source is trying again on its own. */
        DISCONNECTED,
        /** Closed; it will not deliver again. */
        CLOSED
    }

    private final State state;
    private final String detail;
    private final Instant since;
    private final Long lag;

    private SourceHealth(State state, String detail, Instant since, Long lag) {
        this.state = Objects.requireNonNull(state, "state");
        this.detail = detail == null ? "" : detail;
        this.since = Objects.requireNonNull(since, "since");
        this.lag = lag;
    }

    public static SourceHealth of(State state, String detail, Instant since) {
        return new SourceHealth(state, detail, since, null);
    }

    /** Same health with the number of messages waiting in the broker, where the broker tells it. */
    public SourceHealth withLag(long lag) {
        return new SourceHealth(state, detail, since, lag);
    }

    public State state() {
        return state;
    }

    /** Why the source is in this state, in words: the last connection error, for instance. */
    public String detail() {
        return detail;
    }

    /** When the source entered this state. */
    public Instant since() {
        return since;
    }

    /** Messages waiting in the broker for this source, or {@code null} when unknown. */
    public Long lag() {
        return lag;
    }

    public boolean isConnected() {
        return state == State.CONNECTED;
    }

    @Override
    public String toString() {
        return state + (detail.isEmpty() ? "" : " (" + detail + ')') + " since " + since + (lag == null ? "" : ", lag " + lag);
    }
}
