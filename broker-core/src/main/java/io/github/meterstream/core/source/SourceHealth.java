package io.github.meterstream.core.source;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A source's own view of its connection, as reported by {@link BrokerSource#health()}: its state
 * and since when, why (the last connection error, naming the configuration key to look at), the
 * destinations the broker says do not exist, and the lag when the source really knows it.
 */
public final class SourceHealth {

    /** Connection states a source reports. */
    public enum State {
        /** Created, {@code start} not called yet. */
        NOT_STARTED,
        /**
         * Trying to connect, and not connected yet. {@link #since()} is when the source started
         * trying (its start, or the loss of a connection it had), not the last attempt: a source
         * that never connects stays {@code CONNECTING} with the same {@code since}, and {@link
         * #detail()} says what the last attempt failed with.
         */
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
    private final List<String> missingDestinations;

    private SourceHealth(State state, String detail, Instant since, Long lag, List<String> missingDestinations) {
        this.state = Objects.requireNonNull(state, "state");
        this.detail = detail == null ? "" : detail;
        this.since = Objects.requireNonNull(since, "since");
        this.lag = lag;
        this.missingDestinations = missingDestinations;
    }

    public static SourceHealth of(State state, String detail, Instant since) {
        return new SourceHealth(state, detail, since, null, List.of());
    }

    /**
     * Same health with the number of messages waiting in the broker for this source. Call it only
     * with a number the broker gave for every destination this source consumes; without it the lag
     * stays {@code null}, unknown, which is never the same as 0.
     */
    public SourceHealth withLag(long lag) {
        return new SourceHealth(state, detail, since, lag, missingDestinations);
    }

    /** Same health with the destinations (topics, queues) the broker says do not exist; empty when all exist. */
    public SourceHealth withMissingDestinations(Collection<String> missing) {
        return new SourceHealth(state, detail, since, lag, List.copyOf(missing));
    }

    /** Same health, with {@code detail} instead. */
    public SourceHealth withDetail(String detail) {
        return new SourceHealth(state, detail, since, lag, missingDestinations);
    }

    public State state() {
        return state;
    }

    /**
     * Why the source is in this state, in words: for {@code CONNECTING} and {@code DISCONNECTED}
     * the last connection error, naming the full configuration key that decides it
     * ({@code ...sources.usage.bootstrap-servers=127.0.0.1:1: connection refused}).
     */
    public String detail() {
        return detail;
    }

    /** When the source entered this state; for {@code CONNECTING}, when it started trying (see {@link State#CONNECTING}). */
    public Instant since() {
        return since;
    }

    /**
     * Messages waiting in the broker for this source, or {@code null} when unknown: before the
     * source has asked the broker for every destination it consumes (right after a start or a
     * rebalance), while disconnected, or when the broker cannot tell. Never 0 as a guess.
     */
    public Long lag() {
        return lag;
    }

    /**
     * Destinations this source is configured to consume that the broker says do not exist, in
     * configuration order; empty when all exist or when the source cannot tell (a broker that
     * creates destinations on first use).
     */
    public List<String> missingDestinations() {
        return missingDestinations;
    }

    public boolean isConnected() {
        return state == State.CONNECTED;
    }

    @Override
    public String toString() {
        return state + (detail.isEmpty() ? "" : " (" + detail + ')') + " since " + since
                + (missingDestinations.isEmpty() ? "" : ", missing destinations " + missingDestinations)
                + ", lag " + (lag == null ? "unknown" : lag.toString());
    }
}
