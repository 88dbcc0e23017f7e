package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.internal.NamedThreadFactory;
import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.source.Settlement;
import io.github.meterstream.core.source.SourceCoordinates;
import io.github.meterstream.core.source.SourceHealth;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The source of a replay: hands the pipeline each stored payload once, named by where it first came
 * from with the entry's id as its position, and reports how the pipeline settled it instead of
 * settling it with a broker (a refusal is not dead-lettered again; a retry is not waited for).
 */
final class ReplaySource implements BrokerSource {

    /** How the pipeline settled an entry other than by acknowledging it. */
    interface Settled {
        /** @param envelope set when refused again; @param retryDelay set when handed back for a retry */
        void settled(String id, DeadLetterEnvelope envelope, Duration retryDelay);
    }

    private final String name;
    private final List<StoredRejection> entries;
    private final Settled settled;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;
    private volatile Thread feeder;
    private boolean paused;

    ReplaySource(String name, List<StoredRejection> entries, Settled settled) {
        this.name = name;
        this.entries = List.copyOf(entries);
        this.settled = settled;
    }

    static String idOf(SourceCoordinates coordinates) {
        return coordinates.position();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(MessageSink sink) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("replay source " + name + " was started already");
        }
        Thread t = new NamedThreadFactory("meterstream-" + name).newThread(() -> {
            for (StoredRejection r : entries) {
                try {
                    awaitResumed();
                } catch (InterruptedException e) {
                    return;
                }
                if (closed) {
                    return;
                }
                sink.accept(InboundMessage.builder()
                        .payload(r.payload())
                        .coordinates(SourceCoordinates.of(r.source(), r.destination(), r.id()))
                        .receivedAt(Instant.now())
                        .settler(this::settle)
                        .build());
            }
        });
        feeder = t;
        t.start();
    }

    private CompletionStage<Void> settle(InboundMessage message, Settlement settlement) {
        String id = idOf(message.coordinates());
        if (settlement.kind() == Settlement.Kind.DEAD_LETTER) {
            settled.settled(id, settlement.envelope(), null);
        } else if (settlement.kind() == Settlement.Kind.RETRY) {
            settled.settled(id, null, settlement.delay());
        }
        return CompletableFuture.completedFuture(null);
    }

    // the pipeline pauses a source at its in-flight bound, which a large replay may reach
    @Override
    public synchronized void pause() {
        paused = true;
    }

    @Override
    public synchronized void resume() {
        paused = false;
        notifyAll();
    }

    private synchronized void awaitResumed() throws InterruptedException {
        while (paused && !closed) {
            wait();
        }
    }

    @Override
    public SourceHealth health() {
        return SourceHealth.of(closed ? SourceHealth.State.CLOSED : SourceHealth.State.CONNECTED, "replaying " + entries.size()
                + " stored rejection(s)", Instant.now());
    }

    @Override
    public void close(Duration timeout) {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        Thread t = feeder;
        if (t != null) {
            t.interrupt();
        }
    }
}
