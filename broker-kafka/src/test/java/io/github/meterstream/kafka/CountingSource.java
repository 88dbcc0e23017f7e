package io.github.meterstream.kafka;

import io.github.meterstream.core.BrokerSource;
import io.github.meterstream.core.MessageSink;
import io.github.meterstream.core.SourceHealth;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Passes everything to a {@link KafkaSource} and counts deliveries per partition@offset, across members. */
final class CountingSource implements BrokerSource {

    final KafkaSource delegate;
    private final Map<String, Integer> deliveries;

    CountingSource(KafkaSource delegate, Map<String, Integer> deliveries) {
        this.delegate = delegate;
        this.deliveries = deliveries;
    }

    static Map<String, Integer> newCounter() {
        return new ConcurrentHashMap<>();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void start(MessageSink sink) {
        delegate.start(m -> {
            deliveries.merge(m.coordinates().partition() + "@" + m.coordinates().position(), 1, Integer::sum);
            sink.accept(m);
        });
    }

    @Override
    public void pause() {
        delegate.pause();
    }

    @Override
    public void resume() {
        delegate.resume();
    }

    @Override
    public SourceHealth health() {
        return delegate.health();
    }

    @Override
    public void close(Duration timeout) {
        delegate.close(timeout);
    }
}
