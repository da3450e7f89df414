-- Per-block changesets (reth's AccountChangeSets / StorageChangeSets): the
-- value each account and slot had before the block changed it, written in
-- the database transaction of the block. Historical state reads and
-- unwinds take, per key, the first row after a block (`block_number`, then
-- `id` for changes made by dev methods before the block was mined, which
-- are recorded under the next block's number).
CREATE TABLE IF NOT EXISTS account_changesets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    block_number BIGINT NOT NULL,
    address BLOB NOT NULL,
    -- 0: the account did not exist before the block (other columns unused)
    existed BIGINT NOT NULL,
    nonce BIGINT NOT NULL,
    balance BLOB NOT NULL,
    code_hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS account_changesets_by_block ON account_changesets (block_number);
CREATE TABLE IF NOT EXISTS storage_changesets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    block_number BIGINT NOT NULL,
    address BLOB NOT NULL,
    slot BLOB NOT NULL,
    -- the previous value (zero: the slot was unset)
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS storage_changesets_by_block ON storage_changesets (block_number);
