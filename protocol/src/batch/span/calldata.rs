//! ABI calldata as a shape and words, the address table shared by recipients and address
//! words, and numbers in decimal (see the module docs of [`super`]).

use super::*;

/// Kinds of the 32-byte words of ABI calldata, by the word's value `w` (see [`word_kind`]).
/// `w = 0`: nothing stored.
pub(super) const WORD_ZERO: u8 = 0;
/// `0 < w < 2^128`: a number, stored in decimal as values are.
pub(super) const WORD_NUMBER: u8 = 1;
/// `2^128 <= w < 2^160`: a zero-padded address, stored as a reference to the address table.
pub(super) const WORD_ADDRESS: u8 = 2;
/// `w >= 2^160`: stored as is.
pub(super) const WORD_RAW: u8 = 3;

/// The kind of a 32-byte ABI word.
pub(super) fn word_kind(word: &[u8]) -> u8 {
    let nonzero = |bytes: &[u8]| bytes.iter().any(|b| *b != 0);
    if nonzero(&word[..12]) {
        WORD_RAW
    } else if nonzero(&word[12..16]) {
        WORD_ADDRESS
    } else if nonzero(&word[16..]) {
        WORD_NUMBER
    } else {
        WORD_ZERO
    }
}

/// Whether the calldata of a call (not a contract creation, whose input is init code) of
/// `input_len` bytes has the ABI form, a 4-byte selector followed by 32-byte words, and so is
/// stored as a [`Shape`] and words rather than raw.
pub(super) const fn is_abi(create: bool, input_len: usize) -> bool {
    !create && input_len >= 4 && (input_len - 4).is_multiple_of(32)
}

/// The shape of ABI calldata: its selector and the kinds of its words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Shape {
    pub(super) selector: [u8; 4],
    pub(super) kinds: Vec<u8>,
}

impl Shape {
    /// The shape of calldata of the ABI form.
    pub(super) fn of(input: &[u8]) -> Self {
        let mut selector = [0; 4];
        selector.copy_from_slice(&input[..4]);
        Self { selector, kinds: input[4..].chunks(32).map(word_kind).collect() }
    }

    /// Length of the calldata, in bytes.
    pub(super) fn len(&self) -> usize {
        self.kinds.len().saturating_mul(32).saturating_add(4)
    }

    /// Number of words of `kind`.
    pub(super) fn count(&self, kind: u8) -> usize {
        self.kinds.iter().filter(|k| **k == kind).count()
    }
}

/// Distinct addresses (recipients and address words) in order of first reference.
#[derive(Default)]
pub(super) struct AddressTable {
    pub(super) index: HashMap<Address, u64>,
    /// The `addresses` column.
    pub(super) new: Vec<u8>,
}

impl AddressTable {
    /// Appends the reference to `address` to `refs`: 0 for a new one, else its 1-based index.
    pub(super) fn refer(&mut self, address: Address, refs: &mut Vec<u8>) {
        let next = self.index.len() as u64 + 1;
        let index = *self.index.entry(address).or_insert(next);
        if index == next {
            self.new.extend_from_slice(address.as_slice());
            put_uvarint(refs, 0u64);
        } else {
            put_uvarint(refs, index);
        }
    }
}

/// Numbers in decimal, in three columns: `headers`, `leads` and `tails` (see
/// [`encode_span`], `value_headers`).
#[derive(Default)]
pub(super) struct Decimals {
    pub(super) headers: Vec<u8>,
    pub(super) leads: Vec<u8>,
    pub(super) tails: Vec<u8>,
}

impl Decimals {
    pub(super) fn push(&mut self, value: U256) {
        let (exponent, mantissa) = decimal(value);
        let bytes = mantissa.to_be_bytes_trimmed_vec();
        put_uvarint(&mut self.headers, 33 * u64::from(exponent) + bytes.len() as u64);
        if let Some((lead, tail)) = bytes.split_first() {
            self.leads.push(*lead);
            self.tails.extend_from_slice(tail);
        }
    }
}
