-- Meterstream idempotency keys, for PostgreSQL 12+.
-- JdbcIdempotencyStore.createTableIfAbsent() applies this file, with the configured table name in
-- place of meterstream_idempotency; an operator may also apply it by hand.
-- Times are epoch milliseconds from the nodes' clocks, never the database's, so that no session or
-- server time zone can move a lease. Keep the columns identical to ddl.sql (a test checks).
CREATE TABLE IF NOT EXISTS meterstream_idempotency (
    key_namespace VARCHAR(128) NOT NULL,
    key_scope VARCHAR(128) NOT NULL,
    key_id VARCHAR(128) NOT NULL,
    fingerprint VARCHAR(128) NOT NULL,
    state VARCHAR(16) NOT NULL,
    claim_token VARCHAR(64) NOT NULL,
    claimed_by VARCHAR(255) NOT NULL,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (key_namespace, key_scope, key_id),
    CHECK (state IN ('CLAIMED', 'COMPLETED'))
);
