-- Meterstream roll-up staging, for PostgreSQL 12+. Keep the columns identical to ddl.sql (a test checks).
-- JdbcRollupStore.createTablesIfAbsent() applies this file with the configured prefix in place of
-- meterstream_rollup (index names too); an operator may also apply it by hand. Indexes are created with
-- their table only (MySQL has no CREATE INDEX IF NOT EXISTS). Times are epoch milliseconds.
-- One row per group: locked (SELECT ... FOR UPDATE) while its roll-up is composed and while it is sent.
CREATE TABLE IF NOT EXISTS meterstream_rollup_group (
    group_key VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_key)
);
-- One row per staged event; rollup_id is set when a roll-up takes it, and never changes after.
CREATE TABLE IF NOT EXISTS meterstream_rollup_event (
    group_key VARCHAR(255) NOT NULL,
    event_id VARCHAR(255) NOT NULL,
    bucket VARCHAR(255) NOT NULL,
    amount NUMERIC(38,9) NOT NULL,
    fingerprint VARCHAR(128) NOT NULL,
    lineage VARCHAR(1000),
    received_at BIGINT NOT NULL,
    rollup_id VARCHAR(64),
    PRIMARY KEY (group_key, event_id)
);
CREATE INDEX meterstream_rollup_event_rollup ON meterstream_rollup_event (rollup_id);
-- One row per roll-up: PENDING from its composition until the sink took it, then RECORDED.
CREATE TABLE IF NOT EXISTS meterstream_rollup_rollup (
    rollup_id VARCHAR(64) NOT NULL,
    group_key VARCHAR(255) NOT NULL,
    state VARCHAR(16) NOT NULL,
    events INT NOT NULL,
    created_at BIGINT NOT NULL,
    recorded_at BIGINT,
    PRIMARY KEY (rollup_id),
    CHECK (state IN ('PENDING', 'RECORDED'))
);
CREATE INDEX meterstream_rollup_rollup_group ON meterstream_rollup_rollup (group_key, state);
CREATE INDEX meterstream_rollup_rollup_recorded ON meterstream_rollup_rollup (state, recorded_at)
