//! The wire primitives of span batches: minimal LEB128 varints, decimal
//! numbers, bit fields, and a bounded reader over the decompressed data.

use super::super::BatchError;
use alloy_primitives::U256;
use alloy_rlp::Decodable;

pub(super) fn span_error(reason: impl Into<String>) -> BatchError {
    BatchError::Span(reason.into())
}

/// Appends `value` as a minimal unsigned LEB128 varint.
pub(super) fn put_uvarint(out: &mut Vec<u8>, value: impl Into<u128>) {
    let mut value = value.into();
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Splits a value into `(exponent, mantissa)` with `value = mantissa * 10^exponent` and the
/// exponent as large as possible (0 for value 0).
pub(super) fn decimal(value: U256) -> (u8, U256) {
    let ten = U256::from(10);
    let (mut mantissa, mut exponent) = (value, 0u8);
    while !mantissa.is_zero() {
        let (quotient, remainder) = mantissa.div_rem(ten);
        if !remainder.is_zero() {
            break;
        }
        mantissa = quotient;
        exponent += 1;
    }
    (exponent, mantissa)
}

/// Appends a bitfield: bit `i` in byte `i / 8`, least significant bit first.
pub(super) fn put_bits(out: &mut Vec<u8>, bits: impl IntoIterator<Item = bool>) {
    let (mut byte, mut used) = (0u8, 0);
    for bit in bits {
        byte |= u8::from(bit) << used;
        used += 1;
        if used == 8 {
            out.push(byte);
            (byte, used) = (0, 0);
        }
    }
    if used > 0 {
        out.push(byte);
    }
}

/// A cursor over span batch bytes whose every read is bounds-checked.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Fails unless `needed` more bytes are available.
    pub(super) fn check(&self, needed: usize, what: &'static str) -> Result<(), BatchError> {
        if needed > self.buf.len() {
            return Err(BatchError::Truncated { what, needed, available: self.buf.len() });
        }
        Ok(())
    }

    pub(super) fn bytes(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], BatchError> {
        self.check(len, what)?;
        let (head, tail) = self.buf.split_at(len);
        self.buf = tail;
        Ok(head)
    }

    pub(super) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], BatchError> {
        let mut array = [0; N];
        array.copy_from_slice(self.bytes(N, what)?);
        Ok(array)
    }

    /// Converts a decoded count of elements taking at least `min_bytes` bytes each into a
    /// `usize`, failing if the remaining input cannot hold that many.
    pub(super) fn count(
        &self,
        count: u64,
        min_bytes: usize,
        what: &'static str,
    ) -> Result<usize, BatchError> {
        match usize::try_from(count) {
            Ok(count) if count.saturating_mul(min_bytes) <= self.buf.len() => Ok(count),
            _ => Err(span_error(format!(
                "{what}: {count} elements cannot fit in the remaining {} bytes",
                self.buf.len()
            ))),
        }
    }

    /// `n` bits, checking that the padding bits of the last byte are zero.
    pub(super) fn bits(&mut self, n: usize, what: &'static str) -> Result<Vec<bool>, BatchError> {
        let bytes = self.bytes(n.div_ceil(8), what)?;
        if !n.is_multiple_of(8) && bytes.last().is_some_and(|last| last >> (n % 8) != 0) {
            return Err(span_error(format!("{what}: non-zero padding bits")));
        }
        Ok((0..n).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect())
    }

    /// A minimal LEB128 varint of at most `T::BITS` bits.
    pub(super) fn uvarint<T: TryFrom<u128>>(
        &mut self,
        what: &'static str,
    ) -> Result<T, BatchError> {
        let bits = u32::try_from(size_of::<T>() * 8).unwrap_or(128).min(128);
        let mut value: u128 = 0;
        let mut shift = 0u32;
        loop {
            let [byte] = self.array::<1>(what)?;
            let low = u128::from(byte & 0x7f);
            if shift >= bits || (bits - shift < 7 && low >> (bits - shift) != 0) {
                return Err(span_error(format!("{what}: varint overflows {bits} bits")));
            }
            value |= low << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(span_error(format!("{what}: non-minimal varint")));
                }
                return T::try_from(value)
                    .map_err(|_| span_error(format!("{what}: varint overflows {bits} bits")));
            }
            shift += 7;
        }
    }

    /// `n` numbers stored in decimal (see [`Decimals`]) with exponents at most
    /// `max_exponent`, in canonical form; `what` names the header, lead and tail columns.
    pub(super) fn decimals(
        &mut self,
        n: usize,
        max_exponent: u8,
        what: [&'static str; 3],
    ) -> Result<Vec<U256>, BatchError> {
        let [headers, leads, tails] = what;
        // Each header takes at least one byte.
        let n = self.count(n as u64, 1, headers)?;
        let mut shapes = Vec::with_capacity(n);
        let (mut lead_count, mut tail_bytes) = (0usize, 0usize);
        for _ in 0..n {
            let header: u64 = self.uvarint(headers)?;
            let (exponent, len) = (header / 33, (header % 33) as usize);
            if exponent > u64::from(max_exponent) {
                return Err(span_error(format!("{headers}: exponent {exponent} too large")));
            }
            if len == 0 && exponent != 0 {
                return Err(span_error(format!("{headers}: exponent not maximal")));
            }
            lead_count += usize::from(len > 0);
            tail_bytes += len.saturating_sub(1);
            // At most `max_exponent`.
            shapes.push((exponent as u8, len));
        }
        let leads = self.bytes(lead_count, leads)?;
        let mut tails = self.bytes(tail_bytes, tails)?;
        let mut leads = leads.iter();
        let mut numbers = Vec::with_capacity(n);
        for (exponent, len) in shapes {
            if len == 0 {
                numbers.push(U256::ZERO);
                continue;
            }
            let lead = leads.next().copied().unwrap_or_default();
            if lead == 0 {
                return Err(span_error(format!("{headers}: mantissa with a leading zero byte")));
            }
            let (tail, rest) = tails.split_at(len - 1);
            tails = rest;
            let mut bytes = [0u8; 32];
            bytes[32 - len] = lead;
            bytes[33 - len..].copy_from_slice(tail);
            let mantissa = U256::from_be_bytes(bytes);
            if (mantissa % U256::from(10)).is_zero() {
                return Err(span_error(format!("{headers}: exponent not maximal")));
            }
            let number = U256::from(10)
                .checked_pow(U256::from(exponent))
                .and_then(|scale| mantissa.checked_mul(scale))
                .ok_or_else(|| span_error(format!("{headers}: number overflows 256 bits")))?;
            numbers.push(number);
        }
        Ok(numbers)
    }

    /// One RLP item, without reading past the rest of the span batch.
    pub(super) fn rlp<T: Decodable>(&mut self, what: &'static str) -> Result<T, BatchError> {
        let mut buf = self.buf;
        let item = T::decode(&mut buf).map_err(|e| span_error(format!("{what}: {e}")))?;
        self.buf = buf;
        Ok(item)
    }
}
