package io.github.meterstream.core.deadletter;

import java.time.Instant;
import java.util.Objects;

/**
 * Which entries of a {@link DeadLetterStore} to read: every filter is optional (null matches all),
 * and a page is {@code limit} entries from {@code offset}, most recently seen first.
 */
public final class RejectionQuery {

    /** The largest page a query may ask for. */
    public static final int MAX_LIMIT = 1000;

    final String tenant;
    final String reasonCode;
    final String subject;
    final String source;
    final StoredRejection.State state;
    final Instant seenFrom;
    final Instant seenBefore;
    final int offset;
    final int limit;

    private RejectionQuery(Builder b) {
        this.tenant = b.tenant;
        this.reasonCode = b.reasonCode;
        this.subject = b.subject;
        this.source = b.source;
        this.state = b.state;
        this.seenFrom = b.seenFrom;
        this.seenBefore = b.seenBefore;
        this.offset = b.offset;
        this.limit = b.limit;
    }

    /** Every entry, first page of 100. */
    public static RejectionQuery all() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** This query for one tenant only: how a tenant's own view is bounded, whatever else it asked. */
    public RejectionQuery forTenant(String tenant) {
        Builder b = toBuilder();
        b.tenant = Objects.requireNonNull(tenant, "tenant");
        return b.build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.tenant = tenant;
        b.reasonCode = reasonCode;
        b.subject = subject;
        b.source = source;
        b.state = state;
        b.seenFrom = seenFrom;
        b.seenBefore = seenBefore;
        b.offset = offset;
        b.limit = limit;
        return b;
    }

    public String tenant() {
        return tenant;
    }

    public int offset() {
        return offset;
    }

    public int limit() {
        return limit;
    }

    @Override
    public String toString() {
        return "RejectionQuery{tenant=" + tenant + ", reasonCode=" + reasonCode + ", subject=" + subject + ", source=" + source
                + ", state=" + state + ", seen " + seenFrom + ".." + seenBefore + ", offset=" + offset + ", limit=" + limit + '}';
    }

    /** Builds a query; every setter accepts null for "any". */
    public static final class Builder {
        private String tenant;
        private String reasonCode;
        private String subject;
        private String source;
        private StoredRejection.State state;
        private Instant seenFrom;
        private Instant seenBefore;
        private int offset;
        private int limit = 100;

        private Builder() {
        }

        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        public Builder reasonCode(String reasonCode) {
            this.reasonCode = reasonCode;
            return this;
        }

        public Builder subject(String subject) {
            this.subject = subject;
            return this;
        }

        public Builder source(String source) {
            this.source = source;
            return this;
        }

        public Builder state(StoredRejection.State state) {
            this.state = state;
            return this;
        }

        /** Last seen at or after {@code from}. */
        public Builder seenFrom(Instant from) {
            this.seenFrom = from;
            return this;
        }

        /** Last seen strictly before {@code before}. */
        public Builder seenBefore(Instant before) {
            this.seenBefore = before;
            return this;
        }

        /** @throws IllegalArgumentException when {@code offset} is negative or {@code limit} not within 1..{@value #MAX_LIMIT} */
        public Builder page(int offset, int limit) {
            if (offset < 0) {
                throw new IllegalArgumentException("offset must be 0 or more, was " + offset);
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be within 1.." + MAX_LIMIT + ", was " + limit);
            }
            this.offset = offset;
            this.limit = limit;
            return this;
        }

        public RejectionQuery build() {
            return new RejectionQuery(this);
        }
    }
}
