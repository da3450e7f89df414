-- Reorgs (schema version 3); the same SQL runs on SQLite and PostgreSQL.

-- The L1 block of the event that set an output's `deleted` or `challenged`
-- flag, so that a reorg dropping that block can undo it.
ALTER TABLE outputs ADD COLUMN deleted_at BIGINT;
ALTER TABLE outputs ADD COLUMN challenged_at BIGINT;

-- Hashes of recently indexed blocks per chain (the last 256): a reorg shows
-- as another hash at an indexed height, and the highest height whose hash
-- still matches is where the chains fork.
CREATE TABLE IF NOT EXISTS block_hashes (
    chain TEXT NOT NULL,
    number BIGINT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (chain, number)
);

-- OutputChallenged events (L1), so that a reorg can restore the flag an
-- output had before the dropped blocks.
CREATE TABLE IF NOT EXISTS output_challenges (
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    output_index BIGINT NOT NULL,
    challenged BIGINT NOT NULL,
    PRIMARY KEY (l1_block, log_index)
);
