-- Changeset rows of state changes made outside a block (dev methods), which
-- are recorded under the next block's number, are told apart from the
-- block's own rows (dev = 1): the state a block's transactions ran on is
-- the parent's with those changes applied (replays for tracing).
ALTER TABLE account_changesets ADD COLUMN dev BIGINT NOT NULL DEFAULT 0;
ALTER TABLE storage_changesets ADD COLUMN dev BIGINT NOT NULL DEFAULT 0;
