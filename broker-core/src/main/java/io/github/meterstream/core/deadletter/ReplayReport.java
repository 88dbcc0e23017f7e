package io.github.meterstream.core.deadletter;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a replay did (or, for a dry run, would do) with each entry it was asked to replay. */
public final class ReplayReport {

    /** What became of one entry. */
    public enum Result {
        /** Processed this time: the cause was fixed. */
        RECORDED,
        /** Processed before: acknowledged, nothing done twice. */
        DUPLICATE,
        /** Refused again; the detail says why. */
        REJECTED_AGAIN,
        /** The downstream failed transiently, or no outcome came in time; replay it later. */
        FAILED,
        /** Not replayed: discarded, replayed already, or its payload was cut by the store's cap. */
        SKIPPED,
        /** Dry run: it would be replayed. */
        WOULD_REPLAY
    }

    /** One entry's result and, where there is one, why. */
    public static final class Entry {
        private final Result result;
        private final String detail;

        Entry(Result result, String detail) {
            this.result = result;
            this.detail = detail;
        }

        public Result result() {
            return result;
        }

        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return result + (detail == null ? "" : " (" + detail + ')');
        }
    }

    private final boolean dryRun;
    private final Map<String, Entry> entries;

    ReplayReport(boolean dryRun, Map<String, Entry> entries) {
        this.dryRun = dryRun;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    public boolean dryRun() {
        return dryRun;
    }

    /** Per entry id, in the order they were replayed. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** How many entries had each result. */
    public Map<Result, Integer> counts() {
        Map<Result, Integer> out = new EnumMap<>(Result.class);
        entries.values().forEach(e -> out.merge(e.result, 1, Integer::sum));
        return out;
    }

    @Override
    public String toString() {
        return (dryRun ? "dry run " : "replay ") + counts();
    }
}
