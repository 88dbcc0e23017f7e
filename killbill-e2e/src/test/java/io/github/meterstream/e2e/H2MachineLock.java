package io.github.meterstream.e2e;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One Kill Bill 0.22 server on H2 at a time on this machine, across processes. Two at once were
 * seen to interfere: a server's usage read back as recorded and, moments later, as empty, and a
 * restarted server missing the subscriptions created before the restart, each time while another
 * H2-backed Kill Bill ran beside it. The likely cause, not proven: both bind the same fixed ports,
 * the H2 web console on 8082 and the JNDI RMI registry on 1099 where each exports its DataSource.
 * PostgreSQL-backed servers ran side by side without trouble (the two-node tests).
 */
final class H2MachineLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(H2MachineLock.class);
    private static final Path FILE = Path.of(System.getProperty("java.io.tmpdir"), "meterstream-killbill-h2.lock");

    private final FileChannel channel;
    private final FileLock lock;

    private H2MachineLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static H2MachineLock acquire(String serverName) throws IOException {
        FileChannel channel = FileChannel.open(FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            channel.close();
            throw new IllegalStateException("Kill Bill " + serverName + ": this JVM already runs a Kill Bill on H2; "
                    + "close it first (one H2-backed server per machine at a time)", e);
        }
        if (lock == null) {
            LOG.info("Kill Bill {}: another Kill Bill on H2 runs on this machine; waiting for it ({})", serverName, FILE);
            lock = channel.lock();
        }
        return new H2MachineLock(channel, lock);
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            LOG.warn("could not release {}: {}", FILE, e.toString());
        }
    }
}
