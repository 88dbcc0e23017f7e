package io.github.meterstream.dlqtool;

import io.github.meterstream.core.deadletter.DeadLetterQueue.Action;
import io.github.meterstream.core.deadletter.DeadLetterQueue.DeadLetter;
import io.github.meterstream.core.failure.DeadLetterEnvelope;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** One pass over a dead-letter destination: the filters, the command's action per match, the rate limit and the counts. */
final class Walk {

    private final ToolOptions options;
    private final PrintStream out;
    private int seen;
    private int matched;
    private long nextRedriveNanos;

    Walk(ToolOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    Action decide(DeadLetter d) {
        seen++;
        if (!matches(d)) {
            return Action.LEAVE;
        }
        if (matched >= options.limit) {
            return Action.STOP;
        }
        matched++;
        switch (options.command) {
            case "show":
                show(d);
                return Action.LEAVE;
            case "redrive":
                if (d.envelope() == null) {
                    out.println("left " + d.id() + ": no dead-letter envelope, so no destination to send it back to");
                    return Action.LEAVE;
                }
                out.println((options.dryRun ? "would redrive " : "redrive ") + line(d) + " -> " + d.envelope().coordinates().destination());
                if (options.dryRun) {
                    return Action.LEAVE;
                }
                pace();
                return Action.REDRIVE;
            default:
                out.println(line(d));
                return Action.LEAVE;
        }
    }

    private boolean matches(DeadLetter d) {
        DeadLetterEnvelope e = d.envelope();
        boolean filtered = options.reason != null || options.tenant != null || options.trackingId != null || options.since != null
                || options.until != null;
        if (e == null) {
            return !filtered;
        }
        return (options.reason == null || options.reason.equals(e.reasonCode()))
                && (options.tenant == null || options.tenant.equalsIgnoreCase(Objects.toString(e.tenant(), "")))
                && (options.trackingId == null || options.trackingId.equals(e.trackingId()))
                && (options.since == null || !e.lastFailureAt().isBefore(options.since))
                && (options.until == null || e.lastFailureAt().isBefore(options.until));
    }

    /** Waits so that redrives run at most {@code --rate} per second. */
    private void pace() {
        if (options.rate <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (nextRedriveNanos > now) {
            try {
                Thread.sleep((nextRedriveNanos - now) / 1_000_000, (int) ((nextRedriveNanos - now) % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        nextRedriveNanos = Math.max(now, nextRedriveNanos) + (long) (1_000_000_000L / options.rate);
    }

    static String line(DeadLetter d) {
        DeadLetterEnvelope e = d.envelope();
        if (e == null) {
            return d.id() + " (no envelope) " + d.payload().length + " bytes";
        }
        return d.id() + ' ' + e.reasonCode() + " tenant=" + e.tenant() + " trackingId=" + e.trackingId() + " attempts=" + e.attempts()
                + " last=" + e.lastFailureAt() + " from=" + e.coordinates() + ": " + e.reason();
    }

    private void show(DeadLetter d) {
        out.println("== " + line(d));
        d.headers().forEach((k, v) -> out.println("  " + k + ": " + v));
        out.println("  payload: " + new String(d.payload(), StandardCharsets.UTF_8));
    }

    /** @param redriven what the broker confirmed */
    String summary(int redriven) {
        return "seen " + seen + ", matched " + matched + (options.command.equals("redrive")
                ? (options.dryRun ? ", would redrive " + matched : ", redriven " + redriven) : "");
    }
}
