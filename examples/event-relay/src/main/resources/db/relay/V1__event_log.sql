-- The event log and the outbox of the event relay. Runs unchanged on PostgreSQL and H2.
-- Every TIMESTAMP (without time zone) holds UTC.

-- One row per Kafka event. id = UUID.nameUUIDFromBytes of the event identity, so a redelivery of
-- the same event is a primary-key duplicate and is never stored twice.
CREATE TABLE bie_event (
    id               UUID         NOT NULL PRIMARY KEY,
    event_identity   VARCHAR(512) NOT NULL,
    created_at       TIMESTAMP    NOT NULL,
    notified_at      TIMESTAMP,
    event_type       VARCHAR(64)  NOT NULL,
    event_details    VARCHAR      NOT NULL,
    event_at         TIMESTAMP,
    benefit_claim_id VARCHAR(64),
    contention_id    VARCHAR(64),
    classification   VARCHAR(255)
);
CREATE INDEX bie_event_event_type ON bie_event (event_type);
CREATE INDEX bie_event_benefit_claim_id ON bie_event (benefit_claim_id);
CREATE INDEX bie_event_contention_id ON bie_event (contention_id);
CREATE INDEX bie_event_classification ON bie_event (classification);

CREATE TABLE diagnostic_code (
    code VARCHAR(32) NOT NULL PRIMARY KEY
);

CREATE TABLE bie_event_to_diagnostic_code (
    bie_event_id    UUID        NOT NULL REFERENCES bie_event (id),
    diagnostic_code VARCHAR(32) NOT NULL REFERENCES diagnostic_code (code),
    PRIMARY KEY (bie_event_id, diagnostic_code)
);
CREATE INDEX bie_event_to_diagnostic_code_code ON bie_event_to_diagnostic_code (diagnostic_code);

-- The exact RabbitMQ message of each event, written in the transaction that stores the event and
-- published by the outbox publisher. claimed_by/claimed_until lease a row to one relay instance;
-- claims counts how many times a row was claimed (more than one: a lease ran out, for example
-- because the instance holding it died). payload holds the whole event (PII included) for RabbitMQ:
-- it is erased (NULL) when the row is marked published.
CREATE TABLE relay_outbox (
    event_id      UUID         NOT NULL PRIMARY KEY REFERENCES bie_event (id),
    exchange      VARCHAR(255) NOT NULL,
    routing_key   VARCHAR(255) NOT NULL,
    payload       VARCHAR,
    created_at    TIMESTAMP    NOT NULL,
    published_at  TIMESTAMP,
    claimed_by    VARCHAR(128),
    claimed_until TIMESTAMP,
    claims        INT          NOT NULL DEFAULT 0
);
CREATE INDEX relay_outbox_unpublished ON relay_outbox (published_at, created_at);
