package io.github.meterstream.core.deadletter;

import io.github.meterstream.core.event.MessageEvent;
import io.github.meterstream.core.event.PipelineListener;
import io.github.meterstream.core.failure.DeadLetterEnvelope;
import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.source.BrokerSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Replays rejected messages from a {@link DeadLetterStore} through a pipeline built like the live
 * one: the same contract, validators, handler and idempotency store, so the same rules decide, and
 * a message processed already (recorded by an earlier replay, or by its original delivery on another
 * path) is acknowledged as a duplicate, never processed twice. Each outcome is stored with the entry.
 *
 * <p>The replay pipeline reads from a source of its own that hands it the stored payloads; a message
 * refused again is not dead-lettered to the broker a second time (its copy there is the one it has),
 * and a transient failure ends its replay as {@link ReplayReport.Result#FAILED} instead of waiting.
 */
public final class DeadLetterReplay {

    /**
     * Builds the pipeline a replay runs through, on {@code source} and telling {@code listener}
     * (add it to any listener of your own). Give it the live pipeline's contract, validators,
     * handler, idempotency store and configuration; a dead-letter store too, so that a message
     * refused again is seen again.
     */
    @FunctionalInterface
    public interface PipelineFactory {
        ConsumerPipeline<?> build(BrokerSource source, PipelineListener listener);
    }

    private final DeadLetterStore store;
    private final PipelineFactory pipelines;

    public DeadLetterReplay(DeadLetterStore store, PipelineFactory pipelines) {
        this.store = Objects.requireNonNull(store, "store");
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
    }

    /** What {@link #replay(RejectionQuery, String, Duration)} would do with the entries {@code query} matches. */
    public ReplayReport dryRun(RejectionQuery query) {
        Map<String, ReplayReport.Entry> out = new LinkedHashMap<>();
        for (StoredRejection listed : store.list(query)) {
            StoredRejection r = store.find(listed.id()).orElse(null);
            String skip = r == null ? "gone (purged)" : whyNot(r);
            out.put(listed.id(), new ReplayReport.Entry(skip == null ? ReplayReport.Result.WOULD_REPLAY : ReplayReport.Result.SKIPPED,
                    skip == null ? listed.reasonCode() + " at its last rejection" : skip));
        }
        return new ReplayReport(true, out);
    }

    /** Replays the entries {@code query} matches (one page of them); see {@link #replay(List, String, Duration)}. */
    public ReplayReport replay(RejectionQuery query, String by, Duration timeout) {
        List<String> ids = new ArrayList<>();
        store.list(query).forEach(r -> ids.add(r.id()));
        return replay(ids, by, timeout);
    }

    /**
     * Replays the entries {@code ids} names that are still rejected and whole, through one pipeline
     * built for the purpose, and stores each outcome as done by {@code by}.
     *
     * @param timeout how long the replay may take; what has no outcome by then is {@link ReplayReport.Result#FAILED}
     */
    public ReplayReport replay(List<String> ids, String by, Duration timeout) {
        Map<String, ReplayReport.Entry> out = new LinkedHashMap<>();
        List<StoredRejection> toReplay = new ArrayList<>();
        for (String id : ids) {
            StoredRejection r = store.find(id).orElse(null);
            String skip = r == null ? "no such entry" : whyNot(r);
            if (skip != null) {
                out.put(id, new ReplayReport.Entry(ReplayReport.Result.SKIPPED, skip));
            } else {
                toReplay.add(r);
                out.put(id, null);
            }
        }
        if (!toReplay.isEmpty()) {
            out.putAll(run(toReplay, timeout));
            toReplay.forEach(r -> storeOutcome(r.id(), out.get(r.id()), by));
        }
        return new ReplayReport(false, out);
    }

    private static String whyNot(StoredRejection r) {
        if (r.state() != StoredRejection.State.REJECTED) {
            return "state " + r.state() + (r.stateBy() == null ? "" : " by " + r.stateBy()) + " at " + r.stateAt();
        }
        if (r.payloadTruncated()) {
            return "payload cut at " + r.payload().length + " of " + r.payloadLength() + " bytes by the store: replay it from the"
                    + " broker's dead-letter destination";
        }
        return null;
    }

    private Map<String, ReplayReport.Entry> run(List<StoredRejection> entries, Duration timeout) {
        Map<String, CompletableFuture<ReplayReport.Entry>> outcomes = new LinkedHashMap<>();
        entries.forEach(r -> outcomes.put(r.id(), new CompletableFuture<>()));
        Map<String, Throwable> lastCause = new ConcurrentHashMap<>();
        ReplaySource source = new ReplaySource("replay-" + entries.get(0).source(), entries, (id, envelope, delay) -> {
            CompletableFuture<ReplayReport.Entry> f = outcomes.get(id);
            if (envelope != null) {
                f.complete(new ReplayReport.Entry(ReplayReport.Result.REJECTED_AGAIN, envelope.reasonCode() + ": " + envelope.reason()));
            } else if (delay != null) {
                Throwable cause = lastCause.get(id);
                f.complete(new ReplayReport.Entry(ReplayReport.Result.FAILED, cause == null ? "handed back for a retry" : cause.toString()));
            }
        });
        PipelineListener listener = new PipelineListener() {
            @Override
            public void onProcessed(MessageEvent event) {
                complete(event, ReplayReport.Result.RECORDED, null);
            }

            @Override
            public void onDuplicate(MessageEvent event) {
                complete(event, ReplayReport.Result.DUPLICATE, "processed before; acknowledged without processing it again");
            }

            @Override
            public void onRetried(MessageEvent event, Duration delay, Throwable cause) {
                lastCause.put(ReplaySource.idOf(event.coordinates()), cause);
            }

            @Override
            public void onDeadLettered(MessageEvent event, DeadLetterEnvelope envelope) {
                // told through the source's settlement, with the envelope
            }

            private void complete(MessageEvent event, ReplayReport.Result result, String detail) {
                CompletableFuture<ReplayReport.Entry> f = outcomes.get(ReplaySource.idOf(event.coordinates()));
                if (f != null) {
                    f.complete(new ReplayReport.Entry(result, detail));
                }
            }
        };
        ConsumerPipeline<?> pipeline = pipelines.build(source, listener);
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, ReplayReport.Entry> out = new LinkedHashMap<>();
        try {
            pipeline.start();
            for (Map.Entry<String, CompletableFuture<ReplayReport.Entry>> e : outcomes.entrySet()) {
                out.put(e.getKey(), await(e.getValue(), deadline, lastCause.get(e.getKey())));
            }
        } finally {
            pipeline.close(Duration.ofSeconds(5));
        }
        return out;
    }

    private static ReplayReport.Entry await(CompletableFuture<ReplayReport.Entry> f, long deadline, Throwable cause) {
        try {
            return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return new ReplayReport.Entry(ReplayReport.Result.FAILED, "no outcome within the replay's time"
                    + (cause == null ? "" : "; last failure: " + cause));
        } catch (ExecutionException e) {
            return new ReplayReport.Entry(ReplayReport.Result.FAILED, e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ReplayReport.Entry(ReplayReport.Result.FAILED, "interrupted");
        }
    }

    private void storeOutcome(String id, ReplayReport.Entry entry, String by) {
        store.replayed(id, StoredRejection.ReplayOutcome.valueOf(entry.result().name()), entry.detail(), by);
    }
}
