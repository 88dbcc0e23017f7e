-- Meterstream rejected messages (a searchable copy beside the broker's dead-letter destination),
-- for PostgreSQL 12+. JdbcDeadLetterStore.createTableIfAbsent() applies this file, with the configured
-- table name in place of meterstream_dead_letter (index names too); an operator may also apply it by
-- hand. The indexes are created with the table only.
-- Keep the columns identical to ddl.sql (a test checks).
CREATE TABLE IF NOT EXISTS meterstream_dead_letter (
    id VARCHAR(64) NOT NULL,
    source VARCHAR(128) NOT NULL,
    tenant VARCHAR(128),
    reason_code VARCHAR(64) NOT NULL,
    reason VARCHAR(2000) NOT NULL,
    tracking_id VARCHAR(255),
    subject VARCHAR(255),
    destination VARCHAR(255),
    partition_id VARCHAR(64),
    position_id VARCHAR(255),
    attempts INT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    times_seen INT NOT NULL,
    payload BYTEA,
    payload_length INT NOT NULL,
    state VARCHAR(16) NOT NULL,
    state_at BIGINT NOT NULL,
    state_by VARCHAR(128),
    replay_outcome VARCHAR(32),
    replay_detail VARCHAR(2000),
    replay_at BIGINT,
    PRIMARY KEY (id),
    CHECK (state IN ('REJECTED', 'DISCARDED', 'REPLAYED'))
);
CREATE INDEX meterstream_dead_letter_tenant_seen ON meterstream_dead_letter (tenant, last_seen);
CREATE INDEX meterstream_dead_letter_seen ON meterstream_dead_letter (last_seen);
