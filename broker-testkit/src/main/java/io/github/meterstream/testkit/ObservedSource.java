package io.github.meterstream.testkit;

import io.github.meterstream.core.source.BrokerSource;
import io.github.meterstream.core.source.InboundMessage;
import io.github.meterstream.core.source.MessageSink;
import io.github.meterstream.core.source.SourceHealth;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A source that passes everything to {@code delegate} and shows each delivered message to an
 * observer first, on the delivering thread: for tests that count deliveries, time them, or sample
 * the source's state at each one.
 *
 * @param <S> the wrapped source's type, so that a test can still reach its own methods
 */
public final class ObservedSource<S extends BrokerSource> implements BrokerSource {

    private final S delegate;
    private final Consumer<InboundMessage> observer;

    public ObservedSource(S delegate, Consumer<InboundMessage> observer) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    public S delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void start(MessageSink sink) {
        delegate.start(m -> {
            observer.accept(m);
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
