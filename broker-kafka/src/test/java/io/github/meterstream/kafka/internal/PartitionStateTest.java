package io.github.meterstream.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("A partition's offsets")
class PartitionStateTest {

    private final PartitionState p = new PartitionState(new TopicPartition("t", 0));

    private Delivery fetchAndHandOver(long offset) {
        Delivery d = p.fetched(new ConsumerRecord<>("t", 0, offset, new byte[0], new byte[0]));
        assertThat(p.handOver(d)).isTrue();
        return d;
    }

    @Test
    @DisplayName("commit up to the lowest unsettled offset, then past the last fetched once all are settled")
    void commitStopsAtTheLowestUnsettled() {
        List<Delivery> d = new ArrayList<>();
        for (long o = 10; o < 15; o++) {
            d.add(fetchAndHandOver(o));
        }
        assertThat(p.settled(d.get(1))).isTrue();
        assertThat(p.settled(d.get(3))).isTrue();
        assertThat(p.committable()).isEqualTo(OptionalLong.of(10));
        assertThat(p.settled(d.get(0))).isTrue();
        assertThat(p.committable()).isEqualTo(OptionalLong.of(12));
        p.committed(12);
        assertThat(p.settled(d.get(2))).isTrue();
        assertThat(p.settled(d.get(4))).isTrue();
        assertThat(p.committable()).isEqualTo(OptionalLong.of(15));
    }

    @Test
    @DisplayName("a settlement counts once, and only for the attempt in flight")
    void settlementCountsOnce() {
        Delivery first = fetchAndHandOver(0);
        assertThat(p.backToWaiting(first)).isTrue();
        assertThat(p.settled(first)).as("the old attempt").isFalse();
        assertThat(p.committable()).as("a retry still holds its offset").isEqualTo(OptionalLong.of(0));
        Delivery again = first.next(0, false);
        assertThat(p.handOver(again)).isTrue();
        assertThat(p.settled(again)).isTrue();
        assertThat(p.settled(again)).as("twice").isFalse();
        assertThat(p.committable()).isEqualTo(OptionalLong.of(1));
    }

    @Test
    @DisplayName("release returns what was in flight, and refuses every settlement and hand-over after it")
    void releaseRefusesLaterSettlements() {
        Delivery settled = fetchAndHandOver(0);
        Delivery inFlight = fetchAndHandOver(1);
        Delivery retrying = fetchAndHandOver(2);
        Delivery held = p.fetched(new ConsumerRecord<>("t", 0, 3L, new byte[0], new byte[0]));
        assertThat(p.settled(settled)).isTrue();
        assertThat(p.backToWaiting(retrying)).isTrue();

        assertThat(p.release()).containsExactly(inFlight);
        assertThat(p.settled(inFlight)).isFalse();
        assertThat(p.isCurrent(inFlight)).isFalse();
        assertThat(p.handOver(retrying.next(0, false))).isFalse();
        assertThat(p.handOver(held)).isFalse();
    }

    @Test
    @DisplayName("an offset unsettled for long does not keep every offset settled after it")
    void settledOffsetsBehindAnUnsettledOneAreForgotten() {
        Delivery stuck = fetchAndHandOver(0);
        for (long o = 1; o <= 100_000; o++) {
            assertThat(p.settled(fetchAndHandOver(o))).isTrue();
            p.forgetSettled(); // as the poll thread does once per poll
        }
        assertThat(p.offsetsKept()).isLessThan(5_000);
        assertThat(p.committable()).isEqualTo(OptionalLong.of(0));
        assertThat(p.settled(stuck)).isTrue();
        assertThat(p.committable()).isEqualTo(OptionalLong.of(100_001));
        assertThat(p.offsetsKept()).isZero();
    }

    @Test
    @DisplayName("an offset fetched below an earlier one (a reset) still holds the commit")
    void offsetsGoingBack() {
        Delivery high = fetchAndHandOver(20);
        Delivery low = fetchAndHandOver(5);
        assertThat(p.settled(high)).isTrue();
        assertThat(p.committable()).isEqualTo(OptionalLong.of(5));
        assertThat(p.settled(low)).isTrue();
        assertThat(p.committable()).isEqualTo(OptionalLong.of(21));
    }

    @Test
    @DisplayName("settled from many threads while a revoke waits: the wait ends, every offset committed once")
    void concurrentSettlementsEndTheWait() throws Exception {
        int n = 2_000;
        List<Delivery> d = new ArrayList<>();
        for (long o = 0; o < n; o++) {
            d.add(fetchAndHandOver(o));
        }
        ExecutorService workers = Executors.newFixedThreadPool(4);
        AtomicInteger counted = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        for (int w = 0; w < 4; w++) {
            int from = w;
            workers.execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = from; i < n; i += 4) {
                    // each twice: only one may count
                    if (p.settled(d.get(i))) {
                        counted.incrementAndGet();
                    }
                    if (p.settled(d.get(i))) {
                        counted.incrementAndGet();
                    }
                }
            });
        }
        go.countDown();
        assertThat(p.awaitSettled(System.nanoTime() + TimeUnit.SECONDS.toNanos(30), x -> false)).isTrue();
        workers.shutdown();
        assertThat(workers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(counted.get()).isEqualTo(n);
        assertThat(p.committable()).isEqualTo(OptionalLong.of(n));
    }
}
