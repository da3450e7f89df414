-- Dispute games (schema version 2); the same SQL runs on SQLite and PostgreSQL.

-- OutputOracle.OutputChallenged: whether a live output is being disputed.
ALTER TABLE outputs ADD COLUMN challenged BIGINT NOT NULL DEFAULT 0;

-- How DisputeGameFactory games ended (GameResolved, with the BlockProven root
-- when the disputed block was re-executed); the games themselves are read
-- from the factory's views.
CREATE TABLE IF NOT EXISTS game_results (
    game_id BIGINT PRIMARY KEY,
    winner BIGINT,
    reason TEXT,
    proven_block BIGINT,
    proven_root TEXT,
    l1_block BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL
);
