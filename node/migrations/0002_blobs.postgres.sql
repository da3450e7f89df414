-- EIP-4844 blob sidecars of mined blocks (the L1's blob store). One row per
-- blob; `blob_index` is its position among the block's blobs (the beacon
-- API index). Two transactions of one block may carry the same blob, so the
-- versioned hash is indexed, not unique.
CREATE TABLE IF NOT EXISTS blob_sidecars (
    block_number BIGINT NOT NULL,
    blob_index BIGINT NOT NULL,
    versioned_hash BYTEA NOT NULL,
    tx_hash BYTEA NOT NULL,
    commitment BYTEA NOT NULL,
    proof BYTEA NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (block_number, blob_index)
);
CREATE INDEX IF NOT EXISTS blob_sidecars_by_hash ON blob_sidecars (block_number, versioned_hash);
CREATE INDEX IF NOT EXISTS blob_sidecars_by_versioned_hash ON blob_sidecars (versioned_hash);
