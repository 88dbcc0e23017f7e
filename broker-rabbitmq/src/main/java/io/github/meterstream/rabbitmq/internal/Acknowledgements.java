package io.github.meterstream.rabbitmq.internal;

import com.rabbitmq.client.Channel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Writes one consumer's acks and requeues. Each is queued; the thread that finds nobody writing
 * writes everything queued, then looks again: a pipeline worker for its own ack (no hand-off to
 * another thread per message), the consumer's operations thread for what comes from the
 * connection's thread (publisher confirms must not write there). One thread at a time writes.
 *
 * <p>Acks of a run of delivery tags below which every tag of the channel incarnation is settled
 * go as one {@code basic.ack} with {@code multiple=true} for the highest of them: that acks every
 * unacknowledged tag up to it on the channel, so it is sent only when all of those are settled
 * here. An ack above a tag still unsettled goes alone, at once, as do requeues ({@code basic.nack})
 * and a second ack of the same tag (a channel error, as before). No ack waits for another one.
 */
final class Acknowledgements {

    /** Above this many tags settled beyond an unsettled one, an incarnation is acked tag by tag (memory bound). */
    private static final int MAX_TRACKED = 10_000;

    /** What has been settled in one channel incarnation: every tag up to {@code doneUpTo}, and {@code above}. */
    static final class Run {
        final long incarnation;
        long doneUpTo;
        final TreeSet<Long> above = new TreeSet<>();
        boolean tracking = true;

        Run(long incarnation, long firstTag) {
            this.incarnation = incarnation;
            this.doneUpTo = firstTag - 1;
        }

        boolean isDone(long tag) {
            return tag <= doneUpTo || above.contains(tag);
        }

        void done(long tag) {
            if (tag == doneUpTo + 1) {
                doneUpTo = tag;
                while (!above.isEmpty() && above.first() == doneUpTo + 1) {
                    doneUpTo = above.pollFirst();
                }
            } else if (tag > doneUpTo) {
                above.add(tag);
                if (above.size() > MAX_TRACKED) {
                    tracking = false; // a tag that never settles: stop counting
                    above.clear();
                }
            }
        }
    }

    private static final class Request {
        final Delivery delivery;
        final boolean requeue;
        final Consumer<Throwable> then;

        Request(Delivery delivery, boolean requeue, Consumer<Throwable> then) {
            this.delivery = delivery;
            this.requeue = requeue;
            this.then = then;
        }

        long tag() {
            return delivery.deliveryTag();
        }
    }

    private final Queue<Request> queued = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final Executor operations;
    /** Why {@code d} can no longer be settled on its channel, or null if it can. */
    private final Function<Delivery, Throwable> gone;

    /** @param gone null when a delivery may still be settled, else the error its settlement fails with */
    Acknowledgements(Executor operations, Function<Delivery, Throwable> gone) {
        this.operations = operations;
        this.gone = gone;
    }

    /** Acks {@code d}, then calls {@code then} with the error or null. {@code writeHere}: false on the connection's thread. */
    void ack(Delivery d, Consumer<Throwable> then, boolean writeHere) {
        submit(new Request(d, false, then), writeHere);
    }

    /** Returns {@code d} to the queue (basic.nack, requeue), then calls {@code then}; written on the operations thread. */
    void requeue(Delivery d, Consumer<Throwable> then) {
        submit(new Request(d, true, then), false);
    }

    private void submit(Request r, boolean writeHere) {
        queued.add(r);
        if (writeHere) {
            writeQueued();
            return;
        }
        try {
            operations.execute(this::writeQueued);
        } catch (RejectedExecutionException e) {
            // closed: fail what nobody will write
            Request q;
            while ((q = queued.poll()) != null) {
                q.then.accept(new IllegalStateException("consumer closed; the broker delivers tag " + q.tag() + " again", e));
            }
        }
    }

    private void writeQueued() {
        // whoever queued while another thread was writing is picked up by that thread's look again
        while (!queued.isEmpty() && writing.compareAndSet(false, true)) {
            try {
                List<Request> batch = new ArrayList<>();
                Request r;
                while ((r = queued.poll()) != null) {
                    batch.add(r);
                }
                write(batch);
            } finally {
                writing.set(false);
            }
        }
    }

    private void write(List<Request> batch) {
        batch.sort(Comparator.comparingLong(Request::tag));
        List<Request> acks = new ArrayList<>(batch.size());
        for (Request r : batch) {
            Throwable error = gone.apply(r.delivery);
            if (error != null) {
                r.then.accept(error);
            } else if (r.requeue) {
                // first, so that no multiple ack written below can cover its tag
                Throwable e = call(() -> r.delivery.subscription.channel.basicNack(r.tag(), false, true));
                if (e == null) {
                    runOf(r.delivery).done(r.tag());
                }
                r.then.accept(e);
            } else {
                acks.add(r);
            }
        }
        // in tag order; different channels (a replaced one still settling) are rare, each keeps its own run
        int i = 0;
        while (i < acks.size()) {
            ChannelTags tags = acks.get(i).delivery.subscription.tags;
            int end = i;
            while (end < acks.size() && acks.get(end).delivery.subscription.tags == tags) {
                end++;
            }
            writeAcks(acks.subList(i, end));
            i = end;
        }
    }

    /** Acks of one channel incarnation, in tag order. */
    private void writeAcks(List<Request> acks) {
        Run run = runOf(acks.get(0).delivery);
        Channel channel = acks.get(0).delivery.subscription.channel;
        List<Request> inRun = new ArrayList<>(acks.size());
        for (Request r : acks) {
            long tag = r.tag();
            if (!run.tracking || run.incarnation != r.delivery.incarnation || run.isDone(tag)) {
                r.then.accept(call(() -> r.delivery.subscription.channel.basicAck(tag, false)));
                continue;
            }
            run.done(tag);
            if (tag <= run.doneUpTo) {
                inRun.add(r);
            } else {
                // an earlier tag is still unsettled: this one cannot wait for it
                Throwable e = call(() -> channel.basicAck(tag, false));
                r.then.accept(e);
            }
        }
        if (!inRun.isEmpty()) {
            long highest = inRun.get(inRun.size() - 1).tag();
            Throwable e = call(() -> channel.basicAck(highest, inRun.size() > 1));
            for (Request r : inRun) {
                r.then.accept(e);
            }
        }
    }

    private static Run runOf(Delivery d) {
        ChannelTags tags = d.subscription.tags;
        Run run = tags.run;
        if (run == null || run.incarnation < d.incarnation) {
            run = new Run(d.incarnation, d.firstTag);
            tags.run = run;
        }
        return run;
    }

    private interface ChannelCall {
        void run() throws IOException;
    }

    private static Throwable call(ChannelCall c) {
        try {
            c.run();
            return null;
        } catch (IOException | RuntimeException e) {
            return e;
        }
    }
}
