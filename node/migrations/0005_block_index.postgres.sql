-- Blocks are read from the store, not held in memory: blocks by hash and
-- the transaction index (hash -> block number, position) are looked up
-- here. Bodies written from this version on are RLP (see the node's codec);
-- earlier JSON bodies still decode. The transaction index of a store
-- written by an earlier version is filled in once at open (meta key
-- `tx_index`).
CREATE INDEX IF NOT EXISTS blocks_by_hash ON blocks (hash);
CREATE TABLE IF NOT EXISTS transactions (
    hash BYTEA PRIMARY KEY,
    block_number BIGINT NOT NULL,
    tx_index BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_by_block ON transactions (block_number);
