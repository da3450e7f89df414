-- Schema of the bridge indexer; the same SQL runs on SQLite and PostgreSQL.

-- Indexer cursors: the next block to scan on each chain.
CREATE TABLE IF NOT EXISTS cursors (
    chain TEXT PRIMARY KEY,
    next_block BIGINT NOT NULL
);

-- Bridge.TransactionDeposited events (L1).
CREATE TABLE IF NOT EXISTS deposits (
    deposit_index BIGINT PRIMARY KEY,
    l1_tx_hash TEXT NOT NULL,
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    mint TEXT NOT NULL,
    value TEXT NOT NULL,
    gas_limit BIGINT NOT NULL,
    data TEXT NOT NULL,
    l2_tx_hash TEXT NOT NULL,
    l2_block BIGINT
);
CREATE INDEX IF NOT EXISTS deposits_by_tx ON deposits (l1_tx_hash);

-- L2ToL1MessagePasser.MessagePassed events (L2).
CREATE TABLE IF NOT EXISTS withdrawals (
    withdrawal_hash TEXT PRIMARY KEY,
    nonce BIGINT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    target TEXT NOT NULL,
    value TEXT NOT NULL,
    gas_limit TEXT NOT NULL,
    data TEXT NOT NULL,
    l2_block BIGINT NOT NULL,
    l2_tx_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS withdrawals_by_block ON withdrawals (l2_block);

-- Bridge.WithdrawalFinalized events (L1).
CREATE TABLE IF NOT EXISTS finalizations (
    withdrawal_hash TEXT PRIMARY KEY,
    l1_tx_hash TEXT NOT NULL,
    l1_block BIGINT NOT NULL,
    success BIGINT NOT NULL
);

-- BatchInbox.BatchAppended events (L1).
CREATE TABLE IF NOT EXISTS batches (
    batch_index BIGINT PRIMARY KEY,
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL,
    l1_timestamp BIGINT NOT NULL,
    l2_start BIGINT NOT NULL,
    l2_end BIGINT NOT NULL,
    commitment TEXT NOT NULL,
    is_blob BIGINT NOT NULL
);

-- OutputOracle.OutputProposed events (L1); indices are reused after a deletion.
CREATE TABLE IF NOT EXISTS outputs (
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    output_index BIGINT NOT NULL,
    l1_tx_hash TEXT NOT NULL,
    l2_block BIGINT NOT NULL,
    output_root TEXT NOT NULL,
    proposed_at BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (l1_block, log_index)
);
CREATE INDEX IF NOT EXISTS outputs_by_l2_block ON outputs (l2_block);
