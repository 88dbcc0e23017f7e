package io.github.meterstream.dlqtool;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/** The command line, parsed and checked: every mistake is an {@link IllegalArgumentException} naming the option. */
final class ToolOptions {

    static final String USAGE = "usage: meterstream-dlq list|show|redrive --config FILE --source NAME [--prefix PREFIX]\n"
            + "       [--reason CODE] [--tenant T] [--tracking-id ID] [--since INSTANT] [--until INSTANT] [--limit N]\n"
            + "       [--dry-run] [--rate PER_SECOND]   (redrive only)";

    static final List<String> COMMANDS = List.of("list", "show", "redrive");
    /** Every option {@link #parse} reads; the README's table lists the same (a test checks). */
    static final List<String> OPTIONS = List.of("--config", "--source", "--prefix", "--reason", "--tenant", "--tracking-id", "--since",
            "--until", "--limit", "--dry-run", "--rate");

    String command;
    String config;
    String source;
    String prefix;
    String reason;
    String tenant;
    String trackingId;
    Instant since;
    Instant until;
    int limit = Integer.MAX_VALUE;
    boolean dryRun;
    double rate;

    static ToolOptions parse(String... args) {
        ToolOptions o = new ToolOptions();
        if (args.length == 0 || !COMMANDS.contains(args[0])) {
            throw new IllegalArgumentException("the first argument must be one of " + COMMANDS + (args.length == 0 ? "" : ", was '" + args[0] + "'"));
        }
        o.command = args[0];
        for (int i = 1; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--dry-run")) {
                o.dryRun = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--config": o.config = value; break;
                case "--source": o.source = value; break;
                case "--prefix": o.prefix = value; break;
                case "--reason": o.reason = value; break;
                case "--tenant": o.tenant = value; break;
                case "--tracking-id": o.trackingId = value; break;
                case "--since": o.since = instant(option, value); break;
                case "--until": o.until = instant(option, value); break;
                case "--limit": o.limit = positive(option, value); break;
                case "--rate": o.rate = positive(option, value); break;
                default: throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if (o.config == null) {
            throw new IllegalArgumentException("--config is required: the properties file that configures the source");
        }
        if (o.source == null) {
            throw new IllegalArgumentException("--source is required: the source's name in that file");
        }
        if ((o.dryRun || o.rate > 0) && !o.command.equals("redrive")) {
            throw new IllegalArgumentException("--dry-run and --rate apply to redrive only");
        }
        return o;
    }

    private static Instant instant(String option, String value) {
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 instant such as 2026-12-01T00:00:00Z, was '" + value + "'");
        }
    }

    private static int positive(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(option + " must be a whole number of at least 1, was '" + value + "'");
    }
}
