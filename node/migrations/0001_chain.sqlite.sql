CREATE TABLE IF NOT EXISTS blocks (
    number BIGINT PRIMARY KEY,
    hash BLOB NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    address BLOB PRIMARY KEY,
    nonce BIGINT NOT NULL,
    balance BLOB NOT NULL,
    code_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS storage (
    address BLOB NOT NULL,
    slot BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (address, slot)
);
CREATE TABLE IF NOT EXISTS codes (
    hash BLOB PRIMARY KEY,
    code BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
