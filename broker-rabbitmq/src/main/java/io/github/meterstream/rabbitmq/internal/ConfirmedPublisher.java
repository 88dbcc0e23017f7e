package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Publishes retry and dead-letter copies on one channel of its own, in confirm mode, and tells
 * when the broker has taken responsibility for each copy.
 *
 * <p>Publishing happens on one thread (sequence numbers and {@code basicPublish} must not
 * interleave); confirms arrive on the connection's thread and only complete futures. Copies are
 * published {@code mandatory}: one the broker cannot route (a queue deleted since start) comes
 * back as a return, before its confirm, and fails instead of vanishing. The copy id header ties
 * a return to its publish.
 *
 * <p>The client's automatic recovery restores the channel after a connection loss. A channel the
 * broker closed on its own (publishing to an exchange deleted since start) is not recovered by
 * the client, so the next publish opens a new one.
 */
public final class ConfirmedPublisher {

    /** Header that identifies one published copy (ties a basic.return to its publish). */
    public static final String COPY_ID_HEADER = "meterstream_copy_id";

    private static final class Pending {
        final CompletableFuture<Void> confirmed = new CompletableFuture<>();
        final String copyId;
        volatile String returnedBecause;

        Pending(String copyId) {
            this.copyId = copyId;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ConfirmedPublisher.class);

    private final Connection connection;
    private final Duration confirmTimeout;
    private volatile Channel channel;
    private volatile boolean closedByBroker;
    private final ExecutorService publishThread;
    private final ConcurrentNavigableMap<Long, Pending> bySequence = new ConcurrentSkipListMap<>();
    private final Map<String, Pending> byCopyId = new ConcurrentHashMap<>();

    public ConfirmedPublisher(Connection connection, Duration confirmTimeout, String threadName) throws IOException {
        this.connection = connection;
        this.confirmTimeout = confirmTimeout;
        this.publishThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        this.channel = open();
    }

    private Channel open() throws IOException {
        Channel ch = connection.createChannel();
        ch.confirmSelect();
        ch.addConfirmListener((seq, multiple) -> settle(seq, multiple, null),
                (seq, multiple) -> settle(seq, multiple, "the broker refused it (basic.nack)"));
        ch.addReturnListener(this::onReturn);
        // A closed channel never confirms what is outstanding; after recovery sequence numbers restart.
        ch.addShutdownListener(sig -> {
            if (ch != channel) {
                return; // a channel already replaced: its abort repeats the broker's old close reason
            }
            if (!sig.isHardError() && !sig.isInitiatedByApplication()) {
                closedByBroker = true;
                LOG.warn("The broker closed the publish channel ({}); the next copy opens a new one", sig.getMessage());
            }
            failAll(sig);
        });
        return ch;
    }

    /** The channel to publish on; replaces one the broker closed (runs on the publish thread). */
    private Channel channel() throws IOException {
        if (closedByBroker && connection.isOpen()) {
            // The client would recover the closed channel (listeners and confirm mode included) with
            // the next connection: a channel leaked per reopen. Aborting it takes it out of the
            // client's recovery table, which is keyed by channel number, so before open() may reuse
            // that number.
            Channel closed = channel;
            channel = null;
            if (closed != null) {
                try {
                    closed.abort();
                } catch (IOException | RuntimeException e) {
                    LOG.debug("Aborting the closed publish channel failed: {}", e.toString());
                }
            }
            channel = open();
            closedByBroker = false;
        }
        if (channel == null) {
            throw new IOException("no publish channel: the last one was closed by the broker and the connection is down");
        }
        return channel;
    }

    /**
     * Publishes a copy; the future completes when the broker confirmed it, exceptionally when it
     * refused, returned or did not confirm it within the confirm timeout, or the channel closed.
     */
    public CompletableFuture<Void> publish(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) {
        String copyId = UUID.randomUUID().toString();
        Map<String, Object> headers = properties.getHeaders() == null ? new HashMap<>() : new HashMap<>(properties.getHeaders());
        headers.put(COPY_ID_HEADER, copyId);
        AMQP.BasicProperties props = properties.builder().headers(headers).build();
        Pending p = new Pending(copyId);
        try {
            publishThread.execute(() -> {
                long seq = -1;
                try {
                    Channel ch = channel();
                    seq = ch.getNextPublishSeqNo();
                    byCopyId.put(copyId, p);
                    bySequence.put(seq, p);
                    ch.basicPublish(exchange, routingKey, true, props, body);
                } catch (IOException | RuntimeException e) {
                    if (seq >= 0) {
                        bySequence.remove(seq);
                    }
                    fail(p, new IllegalStateException("could not publish to exchange '" + exchange + "' with routing key '"
                            + routingKey + "': " + e, e));
                }
            });
        } catch (RejectedExecutionException e) {
            fail(p, new IllegalStateException("publisher is closed", e));
        }
        return p.confirmed.orTimeout(confirmTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, error) -> byCopyId.remove(copyId));
    }

    private void settle(long seq, boolean multiple, String refusedBecause) {
        if (multiple) {
            ConcurrentNavigableMap<Long, Pending> done = bySequence.headMap(seq, true);
            for (Pending p : done.values()) {
                complete(p, refusedBecause);
            }
            done.clear();
        } else {
            Pending p = bySequence.remove(seq);
            if (p != null) {
                complete(p, refusedBecause);
            }
        }
    }

    private void complete(Pending p, String refusedBecause) {
        String problem = refusedBecause != null ? refusedBecause : p.returnedBecause;
        if (problem == null) {
            p.confirmed.complete(null);
        } else {
            fail(p, new IllegalStateException("copy not stored: " + problem));
        }
    }

    private void onReturn(Return r) {
        Map<String, Object> headers = r.getProperties().getHeaders();
        Object id = headers == null ? null : headers.get(COPY_ID_HEADER);
        Pending p = id == null ? null : byCopyId.get(id.toString());
        if (p != null) {
            p.returnedBecause = "the broker could not route it (" + r.getReplyCode() + ' ' + r.getReplyText()
                    + ", exchange '" + r.getExchange() + "', routing key '" + r.getRoutingKey() + "')";
        }
    }

    private void failAll(ShutdownSignalException cause) {
        IllegalStateException e = new IllegalStateException("publish channel closed before the broker confirmed: "
                + cause.getMessage(), cause);
        for (Long seq : bySequence.keySet()) {
            Pending p = bySequence.remove(seq);
            if (p != null) {
                fail(p, e);
            }
        }
    }

    private void fail(Pending p, Throwable error) {
        byCopyId.remove(p.copyId);
        p.confirmed.completeExceptionally(error);
    }

    /** Stops publishing; copies not yet confirmed fail when the channel closes. */
    public void shutdown() {
        publishThread.shutdown();
    }
}
