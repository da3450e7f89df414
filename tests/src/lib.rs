//! End-to-end tests of the rollup: they spawn the whole stack in-process with
//! `rollup::devnet::spawn` and drive it with alloy and HTTP, as users do.
//! The tests live in `tests/it/`.
