package io.github.meterstream.core.idempotency;

import java.util.Objects;

/**
 * What makes a message the same message twice: a namespace (for usage, the tenant), a scope within
 * it (the subscription) and an id (the tracking id). Each part is at most {@value #MAX_PART_LENGTH}
 * characters, the width of the JDBC store's columns.
 */
public final class IdempotencyKey {

    public static final int MAX_PART_LENGTH = 128;

    private final String namespace;
    private final String scope;
    private final String id;

    private IdempotencyKey(String namespace, String scope, String id) {
        this.namespace = check(namespace, "namespace");
        this.scope = check(scope, "scope");
        this.id = check(id, "id");
    }

    public static IdempotencyKey of(String namespace, String scope, String id) {
        return new IdempotencyKey(namespace, scope, id);
    }

    private static String check(String part, String name) {
        Objects.requireNonNull(part, name);
        if (part.isEmpty() || part.length() > MAX_PART_LENGTH) {
            throw new IllegalArgumentException("idempotency key " + name + " must be 1 to " + MAX_PART_LENGTH
                    + " characters, was " + part.length());
        }
        return part;
    }

    public String namespace() {
        return namespace;
    }

    public String scope() {
        return scope;
    }

    public String id() {
        return id;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof IdempotencyKey)) {
            return false;
        }
        IdempotencyKey k = (IdempotencyKey) o;
        return namespace.equals(k.namespace) && scope.equals(k.scope) && id.equals(k.id);
    }

    @Override
    public int hashCode() {
        return Objects.hash(namespace, scope, id);
    }

    @Override
    public String toString() {
        return namespace + '/' + scope + '/' + id;
    }
}
