package io.github.meterstream.dlqtool;

import io.github.meterstream.core.config.ConfigException;
import io.github.meterstream.core.config.ConfigValues;
import io.github.meterstream.core.deadletter.DeadLetterQueue;
import io.github.meterstream.core.source.BrokerSourceFactories;
import io.github.meterstream.core.source.BrokerSourceFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * {@code meterstream-dlq}: lists, shows and redrives the dead letters of a source configured as the
 * Kill Bill plugin configures it (the same properties file, the same keys), on any broker whose
 * adapter offers a {@link DeadLetterQueue}.
 *
 * <pre>
 * list    --config FILE --source NAME [filters]            one line per dead letter
 * show    --config FILE --source NAME [filters]            envelope, headers and payload of each
 * redrive --config FILE --source NAME [filters] [--dry-run] [--rate N]
 *         back to the original destination, each removed from the dead letters only after the
 *         broker confirmed its re-publish; at most N per second
 * filters: --reason CODE --tenant T --tracking-id ID --since ISO-INSTANT --until ISO-INSTANT --limit N
 * </pre>
 *
 * Exit status: 0 done, 1 the broker failed midway (what was redriven is said), 2 a usage or
 * configuration error.
 */
public final class DeadLetterTool {

    static final String PLUGIN_PREFIX = "org.killbill.billing.plugin.meterstream.sources.";

    private final PrintStream out;
    private final PrintStream err;
    private final BrokerSourceFactories factories;

    DeadLetterTool(PrintStream out, PrintStream err, BrokerSourceFactories factories) {
        this.out = out;
        this.err = err;
        this.factories = factories;
    }

    public static void main(String[] args) {
        int status = new DeadLetterTool(System.out, System.err, BrokerSourceFactories.discover(DeadLetterTool.class.getClassLoader()))
                .run(args);
        System.exit(status);
    }

    int run(String... args) {
        ToolOptions options;
        try {
            options = ToolOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("meterstream-dlq: " + e.getMessage());
            err.println(ToolOptions.USAGE);
            return 2;
        }
        try (DeadLetterQueue queue = open(options)) {
            out.println((options.dryRun ? "[dry run] " : "") + options.command + " " + queue.describe());
            Walk walk = new Walk(options, out);
            int redriven = queue.walk(walk::decide);
            out.println(walk.summary(redriven));
            return 0;
        } catch (ConfigException | UnsupportedOperationException e) {
            err.println("meterstream-dlq: " + e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            // the broker failed midway: the message says how many were redriven; the rest are still there
            err.println("meterstream-dlq: " + e.getMessage());
            return 1;
        }
    }

    private DeadLetterQueue open(ToolOptions options) {
        Properties p = new Properties();
        Path file = Path.of(options.config);
        try (InputStream in = Files.newInputStream(file)) {
            p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        String prefix = options.prefix != null ? options.prefix : PLUGIN_PREFIX + options.source + '.';
        ConfigValues section = ConfigValues.fromProperties(prefix, p);
        String type = section.get(BrokerSourceFactories.TYPE);
        if (type == null) {
            throw new ConfigException(prefix + BrokerSourceFactories.TYPE.name(), "is required: no source '" + options.source + "' in "
                    + file + " (keys under " + prefix + ")");
        }
        BrokerSourceFactory factory = factories.factory(prefix + BrokerSourceFactories.TYPE.name(), type);
        ConfigValues adapterOnly = ConfigValues.of(prefix, withoutPluginKeys(section));
        return factory.openDeadLetterQueue(options.source, adapterOnly);
    }

    /** The source's keys the adapter reads: the plugin's own ({@code type}, {@code tenants}, {@code pipeline.*}, {@code health.*}) left out. */
    private static java.util.Map<String, String> withoutPluginKeys(ConfigValues section) {
        java.util.Map<String, String> keys = new java.util.LinkedHashMap<>(section.asMap());
        keys.keySet().removeIf(k -> List.of("type", "tenants").contains(k) || k.startsWith("pipeline.") || k.startsWith("health."));
        return keys;
    }
}
