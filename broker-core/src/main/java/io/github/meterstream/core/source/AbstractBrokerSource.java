package io.github.meterstream.core.source;

import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.internal.HeldDeliveries;
import io.github.meterstream.core.internal.InFlightDeliveries;
import io.github.meterstream.core.internal.NamedThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;

/**
 * The part of a {@link BrokerSource} that is the same for every broker: the life cycle, the
 * messages in flight, health, the settle dispatch and what happens when the sink throws. An adapter
 * extends it and implements the broker calls only, the way Micrometer's {@code PushMeterRegistry}
 * owns scheduling and a registry implements {@code publish()}.
 *
 * <h2>What the subclass implements, and on which thread each hook runs</h2>
 * <ul>
 *   <li>{@link #startConsuming()}: connect (or start the threads that connect) and begin
 *       delivering. Called once, from {@link #start(MessageSink)}, on the caller's thread, with
 *       health already {@code CONNECTING}. Throws only what retrying cannot fix.</li>
 *   <li>{@link #ack}, {@link #retry} and {@link #deadLetter}: do what the settlement asks on the
 *       broker and complete the stage when the broker confirmed it. Called on the thread that
 *       settles the message (a pipeline worker, any thread), possibly concurrently for different
 *       messages, at most once per delivery, and never after {@link #close(Duration)} finished
 *       waiting: from then on the base fails the stage itself. Move the work to whatever thread the
 *       client requires; do not block for long.</li>
 *   <li>{@link #stopConsuming()}: stop receiving new messages (cancel consumers, stop polling),
 *       keep settlements working. Called once, on the thread that calls {@code close}, before the
 *       wait for messages in flight.</li>
 *   <li>{@link #release(List)}: close sessions, connections and threads. Called once, on the thread
 *       that calls {@code close}, after the wait, with the deliveries still unsettled: the broker
 *       must get them back (closing a session or a connection does it for most brokers).</li>
 * </ul>
 *
 * <h2>What the subclass calls</h2>
 * <ul>
 *   <li>{@link #handOver(Object, InboundMessage.Builder)} from its delivery threads, once per
 *       message received: the base adds the settler, counts the message in flight and calls the
 *       sink.</li>
 *   <li>{@link #redeliverLater(Object, InboundMessage)} when a settlement failed and the broker will
 *       not deliver the message again by itself (the session still holds it);
 *       {@link #returnedToBroker(Object)} when the broker took a delivery back (its session was
 *       lost): it is no longer in flight.</li>
 *   <li>{@link #isHeld(Object)} for a delivery the adapter still counts itself: true while the base
 *       keeps it to hand over again, when nobody is working on it. {@link #remainingCloseTime()}
 *       from {@link #release(List)}: what the close's timeout left for the adapter's own last
 *       steps (a final commit).</li>
 *   <li>{@link #reportHealth(SourceHealth.State, String)} as the connection comes and goes, and
 *       {@link #connectAttemptFailed(String)} for each attempt that failed while not connected: it
 *       keeps the {@code since} of the first, names the error, and logs it at a bounded rate;
 *       {@link #reportMissingDestinations(Collection)} when the broker says a configured
 *       destination does not exist (or exists again);
 *       {@link #gate()} (or {@link #isPaused()} and {@link #isClosing()}) before each delivery;
 *       {@link #threadFactory(String)} for every thread; {@link #describe(Throwable)} for logs and
 *       health details.</li>
 * </ul>
 *
 * <h2>When the sink throws</h2>
 * An exception from {@link MessageSink#accept(InboundMessage)} is a bug in the sink. The base logs
 * it with the message's coordinates and keeps the message, unsettled, in the source: it is no
 * longer in flight (a close does not wait for it) and it is handed to the sink again after
 * {@link #redeliveryDelay()}, with its delivery attempt one higher, once the source is not paused.
 * If the source closes first, the message goes back to the broker with the other unsettled ones.
 * Nothing is dropped, and a sink that keeps failing is not called in a tight loop.
 *
 * @param <D> the adapter's handle of one delivery (what it needs to settle it). Two deliveries
 *            in flight at the same time must not be {@code equals}: identity is the usual choice.
 */
public abstract class AbstractBrokerSource<D> implements BrokerSource {

    private static final Logger LOG = LoggerFactory.getLogger(AbstractBrokerSource.class);
    private static final Duration ATTEMPT_LOG_INTERVAL = Duration.ofMinutes(1);
    /** How many distinct errors {@link #connectAttemptFailed} remembers; a source cycling through more is rare. */
    private static final int ATTEMPT_LOG_MEMORY = 16;

    private final String name;
    private final DeliveryGate gate = new DeliveryGate();
    private final InFlightDeliveries<D, InboundMessage> inFlight = new InFlightDeliveries<>();
    /** Messages held for a later delivery: the sink threw, or a settlement failed. */
    private final HeldDeliveries<D, InboundMessage> held;
    private final Object lifecycle = new Object();
    private boolean started; // guarded by lifecycle
    private boolean closeCalled; // guarded by lifecycle
    private volatile boolean closing;
    private volatile long closeDeadlineNanos;
    private volatile boolean closed;
    private volatile MessageSink sink;
    private volatile SourceHealth health = SourceHealth.of(SourceHealth.State.NOT_STARTED, "", Instant.now());
    private volatile List<String> missingDestinations = List.of();
    /**
     * The errors {@link #connectAttemptFailed} logged lately and when (System.nanoTime): each is
     * logged again only after a while, also when attempts alternate between a few errors.
     */
    private final Map<String, Long> attemptsLogged = new LinkedHashMap<>(); // guarded by itself

    protected AbstractBrokerSource(String name) {
        this.name = Objects.requireNonNull(name, "name");
        this.held = new HeldDeliveries<>(threadFactory("redelivery"), gate::isOpen, this::handOverAgain);
    }

    // ---- what the subclass implements ---------------------------------------------------------

    /** Connects, or starts the threads that connect, and begins delivery; see the class comment. */
    protected abstract void startConsuming();

    /** Acknowledges {@code delivery}; the stage completes when the broker has it. */
    protected abstract CompletionStage<Void> ack(D delivery, InboundMessage message);

    /** Has {@code delivery} delivered again no earlier than {@code delay}, attempt one higher. */
    protected abstract CompletionStage<Void> retry(D delivery, InboundMessage message, Duration delay);

    /** Publishes a copy with {@code envelope} to the dead-letter destination, confirmed, then removes the original. */
    protected abstract CompletionStage<Void> deadLetter(D delivery, InboundMessage message, DeadLetterEnvelope envelope);

    /** Stops receiving new messages; settlements keep working. Default: nothing (delivery threads read {@link #gate()}). */
    protected void stopConsuming() {
    }

    /** Releases sessions, connections and threads; the broker gets {@code unsettled} back. */
    protected abstract void release(List<D> unsettled);

    /** How long a message the sink refused, or one passed to {@link #redeliverLater}, waits. Default 1 s. */
    protected Duration redeliveryDelay() {
        return Duration.ofSeconds(1);
    }

    // ---- BrokerSource -------------------------------------------------------------------------

    @Override
    public final String name() {
        return name;
    }

    /**
     * Starts the source once: a second call, or a call after {@link #close(Duration)}, throws
     * {@link IllegalStateException} and subscribes nothing. What {@link #startConsuming()} throws is
     * reported in health and rethrown.
     */
    @Override
    public final void start(MessageSink sink) {
        Objects.requireNonNull(sink, "sink");
        synchronized (lifecycle) {
            if (started) {
                throw new IllegalStateException("source " + name + " was already started");
            }
            if (closeCalled) {
                throw new IllegalStateException("source " + name + " is closed");
            }
            started = true;
            this.sink = sink;
        }
        reportHealth(SourceHealth.State.CONNECTING, "");
        try {
            startConsuming();
        } catch (RuntimeException e) {
            reportHealth(SourceHealth.State.DISCONNECTED, describe(e));
            throw e;
        }
    }

    @Override
    public final void pause() {
        gate.pause();
    }

    @Override
    public final void resume() {
        gate.resume();
        held.wake();
    }

    /**
     * The health last reported, with the missing destinations last reported; a subclass may add what
     * it knows besides (lag, a stuck copy).
     */
    @Override
    public SourceHealth health() {
        SourceHealth h = health;
        List<String> missing = missingDestinations;
        return missing.isEmpty() || h.state() == SourceHealth.State.CLOSED ? h : h.withMissingDestinations(missing);
    }

    /**
     * Stops delivery, waits up to {@code timeout} for the messages in flight to be settled (their
     * settlements keep working meanwhile), then marks the source closed (later settlements fail)
     * and releases it: the broker gets back what is unsettled. Idempotent.
     */
    @Override
    public final void close(Duration timeout) {
        synchronized (lifecycle) {
            if (closeCalled) {
                return;
            }
            closeCalled = true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        closeDeadlineNanos = deadline;
        closing = true;
        gate.stop();
        try {
            stopConsuming();
        } catch (RuntimeException e) {
            LOG.warn("source {}: stopping consumers failed: {}", name, describe(e));
        }
        boolean allSettled = inFlight.awaitEmpty(deadline);
        closed = true;
        List<D> unsettled = inFlight.drain();
        unsettled.addAll(held.close());
        health = SourceHealth.of(SourceHealth.State.CLOSED, "", Instant.now());
        try {
            release(unsettled);
        } catch (RuntimeException e) {
            LOG.warn("source {}: releasing the connection failed: {}", name, describe(e));
        }
        if (allSettled && unsettled.isEmpty()) {
            LOG.info("source {}: closed; every delivered message was settled", name);
        } else {
            LOG.info("source {}: closed after {}; {} unsettled message(s) returned to the broker", name, timeout,
                    unsettled.size());
        }
    }

    // ---- what the subclass calls --------------------------------------------------------------

    /**
     * Hands one received message to the sink: sets its settler, counts it in flight until it is
     * settled, and calls the sink on this thread. Call it from a delivery thread of the source.
     */
    protected final void handOver(D delivery, InboundMessage.Builder message) {
        Objects.requireNonNull(delivery, "delivery");
        accept(delivery, message.settler((m, s) -> settle(delivery, m, s)).build());
    }

    /**
     * Keeps {@code delivery} in the source and hands it to the sink again after {@link
     * #redeliveryDelay()} with the attempt one higher: for a settlement that failed while the broker
     * still counts the message as delivered to this consumer. Any thread.
     */
    protected final void redeliverLater(D delivery, InboundMessage message) {
        held.hold(delivery, message, redeliveryDelay());
    }

    /** The broker has {@code delivery} back (its session or channel is gone): it is no longer in flight. Any thread. */
    protected final void returnedToBroker(D delivery) {
        inFlight.remove(delivery);
        held.forget(delivery);
    }

    /** Sets health, unless the source is closed (it stays {@code CLOSED}). Any thread. */
    protected final void reportHealth(SourceHealth.State state, String detail) {
        reportHealth(SourceHealth.of(state, detail, Instant.now()));
    }

    /** Sets health, unless the source is closed (it stays {@code CLOSED}). Any thread. */
    protected final void reportHealth(SourceHealth h) {
        if (!closed) {
            health = Objects.requireNonNull(h, "health");
        }
    }

    /**
     * A connection attempt failed and the source tries again on its own. Health says so without
     * forgetting how long it has been trying: {@code CONNECTING} (or {@code DISCONNECTED}, after a
     * connection it had was lost) keeps its {@code since} and takes {@code detail} (the error,
     * naming the full configuration key to check); from {@code CONNECTED} it becomes {@code
     * DISCONNECTED} now. Logs each distinct error at most once a minute, so that a source retrying
     * every second (or several consumers retrying at once) does not flood the log. Any thread.
     */
    protected final void connectAttemptFailed(String detail) {
        SourceHealth h = health;
        boolean trying = h.state() == SourceHealth.State.CONNECTING || h.state() == SourceHealth.State.DISCONNECTED;
        if (trying) {
            reportHealth(h.withDetail(detail));
        } else {
            reportHealth(h.state() == SourceHealth.State.CONNECTED ? SourceHealth.State.DISCONNECTED
                    : SourceHealth.State.CONNECTING, detail);
        }
        boolean log;
        synchronized (attemptsLogged) {
            long now = System.nanoTime();
            Long last = attemptsLogged.get(detail);
            log = last == null || now - last >= ATTEMPT_LOG_INTERVAL.toNanos();
            if (log) {
                attemptsLogged.remove(detail);
                attemptsLogged.put(detail, now);
                if (attemptsLogged.size() > ATTEMPT_LOG_MEMORY) {
                    attemptsLogged.remove(attemptsLogged.keySet().iterator().next()); // the oldest
                }
            }
        }
        if (log && !closed) {
            SourceHealth now = health;
            LOG.warn("source {}: not connected since {}, trying again: {}", name, now.since(), detail);
        }
    }

    /**
     * Still trying to connect, with news that is no error ("joining group g"): {@code CONNECTING}
     * (or {@code DISCONNECTED}) keeps its {@code since} and takes {@code detail}; any other state
     * becomes {@code CONNECTING} now. Any thread.
     */
    protected final void reportStillConnecting(String detail) {
        SourceHealth h = health;
        if (h.state() == SourceHealth.State.CONNECTING || h.state() == SourceHealth.State.DISCONNECTED) {
            reportHealth(h.withDetail(detail));
        } else {
            reportHealth(SourceHealth.State.CONNECTING, detail);
        }
    }

    /**
     * The destinations the broker says do not exist, of those this source is configured to consume;
     * empty once they all exist. Shown in {@link #health()} until reported again. Any thread.
     */
    protected final void reportMissingDestinations(Collection<String> missing) {
        List<String> copy = List.copyOf(missing);
        if (!copy.equals(missingDestinations)) {
            if (copy.isEmpty()) {
                LOG.info("source {}: every configured destination exists now", name);
            } else {
                LOG.warn("source {}: the broker says {} does not exist; nothing is consumed from it until it is created",
                        name, copy);
            }
            missingDestinations = copy;
        }
    }

    /** The gate delivery threads wait at: paused by {@link #pause()}, stopped by {@link #close(Duration)}. */
    protected final DeliveryGate gate() {
        return gate;
    }

    protected final boolean isPaused() {
        return gate.isPaused();
    }

    /** True from the moment {@link #close(Duration)} is called: start no new delivery. */
    protected final boolean isClosing() {
        return closing;
    }

    /** True once {@link #close(Duration)} stopped waiting: settlements fail from then on. */
    protected final boolean isClosed() {
        return closed;
    }

    /**
     * True while the base keeps {@code delivery} to hand it over again later (the sink refused it,
     * or {@link #redeliverLater} was called): no sink or settlement is working on it, so an adapter
     * that waits for its own deliveries to settle (Kafka's revoke) need not wait for it. The base
     * does not signal when it starts holding one: such a waiter looks again now and then. Any thread.
     */
    protected final boolean isHeld(D delivery) {
        return held.holds(delivery);
    }

    /**
     * What is left of the timeout given to {@link #close(Duration)}, zero once it ran out or before
     * close was called: an adapter sizes its own last steps in {@link #release(List)} (a final
     * commit) by it. Any thread.
     */
    protected final Duration remainingCloseTime() {
        return closing ? Duration.ofNanos(Math.max(0L, closeDeadlineNanos - System.nanoTime())) : Duration.ZERO;
    }

    /** How many messages were handed to the sink and are not settled yet. */
    protected final int inFlightCount() {
        return inFlight.size();
    }

    /** Daemon threads named {@code meterstream-<source>-<role>-N}, so a thread dump says whose they are. */
    protected final ThreadFactory threadFactory(String role) {
        return new NamedThreadFactory("meterstream-" + name + '-' + role);
    }

    /**
     * {@code Type: message (Cause: message; ...)}: an exception and the causes whose message it does
     * not repeat, short enough for a log line or a health detail. For adapters' own classes too.
     */
    public static String describe(Throwable e) {
        Throwable top = unwrap(e);
        StringBuilder s = new StringBuilder(text(top));
        List<Throwable> seen = new ArrayList<>();
        seen.add(top);
        StringBuilder causes = new StringBuilder();
        for (Throwable c = top.getCause(); c != null && !seen.contains(c) && seen.size() < 8; c = c.getCause()) {
            seen.add(c);
            String m = c.getMessage();
            if (m != null && s.indexOf(m) < 0 && causes.indexOf(m) < 0) {
                causes.append(causes.length() == 0 ? "" : "; ").append(text(c));
            }
        }
        if (causes.length() > 0) {
            s.append(" (").append(causes).append(')');
        }
        return s.toString();
    }

    private static String text(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private void accept(D delivery, InboundMessage message) {
        inFlight.add(delivery, message);
        try {
            sink.accept(message);
        } catch (RuntimeException e) {
            if (inFlight.remove(delivery, message)) {
                LOG.error("source {}: the sink refused {}; it is handed over again in {}", name, message.coordinates(),
                        redeliveryDelay(), e);
                held.hold(delivery, message, redeliveryDelay());
            }
        }
    }

    private CompletionStage<Void> settle(D delivery, InboundMessage message, Settlement s) {
        if (closed || !inFlight.holds(delivery, message)) {
            return CompletableFuture.failedFuture(new IllegalStateException((closed ? "source " + name + " is closed; "
                    : "source " + name + " no longer holds it; ") + message.coordinates()
                    + " was returned to the broker and is delivered again"));
        }
        CompletionStage<Void> stage;
        try {
            switch (s.kind()) {
                case RETRY:
                    stage = retry(delivery, message, s.delay());
                    break;
                case DEAD_LETTER:
                    stage = deadLetter(delivery, message, s.envelope());
                    break;
                case ACK:
                default:
                    stage = ack(delivery, message);
                    break;
            }
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        stage.whenComplete((ok, error) -> {
            // settled or failed, the pipeline no longer holds it: a close stops waiting for it
            inFlight.remove(delivery, message);
            if (error == null) {
                result.complete(null);
            } else {
                result.completeExceptionally(unwrap(error));
            }
        });
        return result;
    }

    /** On the redelivery thread: the same message again, one attempt higher. */
    private void handOverAgain(D delivery, InboundMessage message) {
        accept(delivery, InboundMessage.builder()
                .payload(message.payload())
                .headers(message.headers())
                .coordinates(message.coordinates())
                .deliveryAttempt(message.deliveryAttempt() + 1)
                .settler((m, s) -> settle(delivery, m, s))
                .build());
    }
}
