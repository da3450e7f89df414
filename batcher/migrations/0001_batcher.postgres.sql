CREATE TABLE IF NOT EXISTS batches (
    l2_start BIGINT PRIMARY KEY,
    l2_end BIGINT NOT NULL,
    l1_tx_hash BYTEA NOT NULL,
    l1_block BIGINT NOT NULL,
    compression TEXT NOT NULL,
    data_bytes BIGINT NOT NULL,
    raw_tx_bytes BIGINT NOT NULL,
    l1_gas_used BIGINT NOT NULL,
    l1_fee_wei BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS outputs (
    l2_block BIGINT PRIMARY KEY,
    output_root BYTEA NOT NULL,
    l1_tx_hash BYTEA NOT NULL,
    l1_block BIGINT NOT NULL,
    l1_gas_used BIGINT NOT NULL,
    l1_fee_wei BYTEA NOT NULL
);
