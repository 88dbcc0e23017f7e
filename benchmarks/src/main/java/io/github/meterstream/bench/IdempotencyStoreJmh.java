package io.github.meterstream.bench;

import io.github.meterstream.core.pipeline.ConsumerPipeline;
import io.github.meterstream.core.pipeline.PipelineConfig;
import io.github.meterstream.core.idempotency.ClaimResult;
import io.github.meterstream.core.idempotency.IdempotencyKey;
import io.github.meterstream.core.idempotency.InMemoryIdempotencyStore;
import io.github.meterstream.core.usage.UsageMessage;
import io.github.meterstream.core.usage.UsageMessageContract;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Duration;

/**
 * The in-process steps of one message, one thread: decode, Bean Validation, idempotency key +
 * fingerprint, and claim + complete on InMemoryIdempotencyStore (a fresh key each call).
 */
@State(Scope.Thread)
public class IdempotencyStoreJmh {

    private static final Duration LEASE = PipelineConfig.DEFAULT_IDEMPOTENCY_LEASE;

    private final UsageMessageContract contract = new UsageMessageContract();
    private ValidatorFactory factory;
    private Validator validator;
    private InMemoryIdempotencyStore store;
    private byte[] payload;
    private UsageMessage decoded;
    private long seq;

    @Setup(Level.Trial)
    public void setUp() {
        factory = ConsumerPipeline.defaultValidatorFactory();
        validator = factory.getValidator();
        payload = UsagePayloads.payload("jmh", 42);
        decoded = contract.decode(payload);
    }

    @Setup(Level.Iteration)
    public void freshStore() {
        store = new InMemoryIdempotencyStore(); // bounded growth: one iteration's keys at most
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        factory.close();
    }

    @Benchmark
    public UsageMessage decode() {
        return contract.decode(payload);
    }

    @Benchmark
    public Object validate() {
        return validator.validate(decoded);
    }

    @Benchmark
    public String keyAndFingerprint() {
        contract.idempotencyKey(decoded);
        return contract.fingerprint(decoded);
    }

    @Benchmark
    public Object inMemoryClaimComplete() {
        IdempotencyKey key = IdempotencyKey.of(UsagePayloads.TENANT, "sub", Long.toString(seq++));
        ClaimResult c = store.claim(key, "fp", LEASE);
        store.complete(key, c.claimToken());
        return c;
    }
}
