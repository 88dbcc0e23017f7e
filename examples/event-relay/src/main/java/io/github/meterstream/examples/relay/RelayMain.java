package io.github.meterstream.examples.relay;

import io.github.meterstream.core.config.ConfigException;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs one relay instance: {@code java ... RelayMain relay.properties}. System properties
 * {@code relay.*} override the file. Prints {@link EventRelay#status()} every
 * {@code relay.status-interval-seconds} (30) and stops cleanly on SIGTERM. A configuration error
 * exits with status 2 and the message naming the key.
 */
public final class RelayMain {

    /** Printed once the relay consumes; a supervisor (or a test) may wait for it. */
    public static final String STARTED = "event relay started";

    private RelayMain() {
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        if (args.length > 0) {
            try (Reader r = Files.newBufferedReader(Path.of(args[0]))) {
                p.load(r);
            } catch (IOException e) {
                System.err.println("cannot read " + args[0] + ": " + e.getMessage());
                System.exit(2);
            }
        }
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(RelayConfig.PREFIX))
                .forEach(k -> p.setProperty(k, System.getProperty(k)));
        long statusSeconds = Long.parseLong(System.getProperty("relay.status-interval-seconds", "30"));
        p.remove("relay.status-interval-seconds");
        RelayConfig config;
        try {
            config = RelayConfig.from(p);
        } catch (ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        EventRelay relay = new EventRelay(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.close();
            stopped.countDown();
        }, "relay-shutdown"));
        relay.start();
        System.out.println(STARTED + ": " + config.instanceId());
        var status = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-status");
            t.setDaemon(true);
            return t;
        });
        status.scheduleAtFixedRate(() -> System.out.println(relay.status()), statusSeconds, statusSeconds, TimeUnit.SECONDS);
        stopped.await();
    }
}
