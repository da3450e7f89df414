CREATE TABLE IF NOT EXISTS blocks (
    number BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL,
    body BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    address BYTEA PRIMARY KEY,
    nonce BIGINT NOT NULL,
    balance BYTEA NOT NULL,
    code_hash BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS storage (
    address BYTEA NOT NULL,
    slot BYTEA NOT NULL,
    value BYTEA NOT NULL,
    PRIMARY KEY (address, slot)
);
CREATE TABLE IF NOT EXISTS codes (
    hash BYTEA PRIMARY KEY,
    code BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
