//! The transaction section of a span batch: the columns, their encoding and decoding (the
//! layout is documented on [`super::encode_span`]).

use super::*;

pub(super) fn encode_txs(txs: &[&Bytes], chain_id: u64, out: &mut Vec<u8>) {
    for (_, column) in tx_columns(txs, chain_id) {
        out.extend_from_slice(&column);
    }
}

/// The transaction section of a span batch, column by column, named as in the layout of
/// [`encode_span`].
pub(super) fn tx_columns(txs: &[&Bytes], chain_id: u64) -> Vec<(&'static str, Vec<u8>)> {
    let parsed: Vec<Option<SpanTx>> =
        txs.iter().map(|raw| SpanTx::from_raw(raw, chain_id)).collect();
    let mut columns = Vec::new();
    let mut column = |name, bytes| columns.push((name, bytes));
    let mut bits = Vec::new();
    put_bits(&mut bits, parsed.iter().map(Option::is_none));
    column("opaque_bits", bits);
    let opaque = || txs.iter().zip(&parsed).filter(|(_, p)| p.is_none()).map(|(raw, _)| raw);
    let mut lengths = Vec::new();
    for raw in opaque() {
        put_uvarint(&mut lengths, raw.len() as u64);
    }
    column("opaque_lengths", lengths);
    column("opaque_txs", opaque().flat_map(|raw| raw.iter().copied()).collect());

    // Calldata shapes, in block order, then the transactions grouped by shape.
    let mut shapes: Vec<Shape> = Vec::new();
    let mut shape_index: HashMap<Shape, usize> = HashMap::new();
    let (mut shape_refs, mut shape_table) = (Vec::new(), Vec::new());
    let mut grouped: Vec<(usize, &SpanTx)> = Vec::new();
    for tx in parsed.iter().flatten() {
        let mut key = 0;
        if is_abi(tx.to.is_create(), tx.input.len()) {
            let shape = Shape::of(&tx.input);
            let next = shapes.len() + 1;
            key = *shape_index.entry(shape.clone()).or_insert(next);
            if key == next {
                shape_table.extend_from_slice(&shape.selector);
                put_uvarint(&mut shape_table, shape.kinds.len() as u64);
                shape_table.extend_from_slice(&shape.kinds);
                shapes.push(shape);
            }
        }
        put_uvarint(&mut shape_refs, key as u64);
        grouped.push((key, tx));
    }
    column("calldata_shapes", shape_refs);
    column("shapes", shape_table);
    // Stable: block order within each group.
    grouped.sort_by_key(|(key, _)| *key);
    let txs: Vec<&SpanTx> = grouped.iter().map(|(_, tx)| *tx).collect();

    column("tx_types", txs.iter().map(|tx| tx.ty | if tx.high_s() { HIGH_S } else { 0 }).collect());
    let mut bits = Vec::new();
    put_bits(&mut bits, txs.iter().filter(|tx| tx.ty == TYPE_LEGACY).map(|tx| tx.protected));
    column("protected_bits", bits);
    let mut bits = Vec::new();
    put_bits(&mut bits, txs.iter().map(|tx| tx.to.is_create()));
    column("contract_creation_bits", bits);
    let mut table = AddressTable::default();
    let mut to_refs = Vec::new();
    for to in txs.iter().filter_map(|tx| tx.to.to()) {
        table.refer(*to, &mut to_refs);
    }
    column("to_refs", to_refs);
    // Nonces: the low 7 bits, flagged if more follow, then the rest of the flagged ones.
    let (mut lows, mut highs, mut gas_limits) = (Vec::new(), Vec::new(), Vec::new());
    for tx in &txs {
        let high = tx.nonce >> 7;
        lows.push((tx.nonce & 0x7f) as u8 | if high > 0 { 0x80 } else { 0 });
        if high > 0 {
            put_uvarint(&mut highs, high);
        }
        put_uvarint(&mut gas_limits, tx.gas_limit);
    }
    column("nonce_lows", lows);
    column("nonce_highs", highs);
    column("gas_limits", gas_limits);
    let mut gas_prices = Vec::new();
    for tx in txs.iter().filter(|tx| tx.has_gas_price()) {
        put_uvarint(&mut gas_prices, tx.gas_price);
    }
    column("gas_prices", gas_prices);
    let (mut tips, mut excesses) = (Vec::new(), Vec::new());
    for tx in txs.iter().filter(|tx| !tx.has_gas_price()) {
        put_uvarint(&mut tips, tx.max_priority_fee);
        put_uvarint(&mut excesses, tx.gas_price.wrapping_sub(tx.max_priority_fee));
    }
    column("max_priority_fees", tips);
    column("max_fee_excesses", excesses);
    let mut values = Decimals::default();
    for tx in &txs {
        values.push(tx.value);
    }
    column("value_headers", values.headers);
    column("value_leads", values.leads);
    column("value_tails", values.tails);

    let (mut lengths, mut calldata) = (Vec::new(), Vec::new());
    for (_, tx) in grouped.iter().filter(|(key, _)| *key == 0) {
        put_uvarint(&mut lengths, tx.input.len() as u64);
        calldata.extend_from_slice(&tx.input);
    }
    column("calldata_lengths", lengths);
    column("calldata", calldata);
    // ABI words: group by group, argument by argument, transaction by transaction.
    let (mut word_refs, mut numbers, mut raw_words) = (Vec::new(), Decimals::default(), Vec::new());
    for group in grouped.chunk_by(|a, b| a.0 == b.0) {
        let Some(shape) = group[0].0.checked_sub(1).and_then(|i| shapes.get(i)) else {
            continue;
        };
        for (position, kind) in shape.kinds.iter().enumerate() {
            for (_, tx) in group {
                let word = &tx.input[4 + 32 * position..][..32];
                match *kind {
                    WORD_NUMBER => numbers.push(U256::from_be_slice(word)),
                    WORD_ADDRESS => table.refer(Address::from_slice(&word[12..]), &mut word_refs),
                    WORD_RAW => raw_words.extend_from_slice(word),
                    _ => {}
                }
            }
        }
    }
    column("word_refs", word_refs);
    column("number_headers", numbers.headers);
    column("number_leads", numbers.leads);
    column("number_tails", numbers.tails);
    column("raw_words", raw_words);
    let mut access_lists = Vec::new();
    for tx in txs.iter().filter(|tx| tx.has_access_list()) {
        tx.access_list.encode(&mut access_lists);
    }
    column("access_lists", access_lists);
    let mut authorization_lists = Vec::new();
    for tx in txs.iter().filter(|tx| tx.ty == TYPE_EIP7702) {
        tx.authorization_list.encode(&mut authorization_lists);
    }
    column("authorization_lists", authorization_lists);
    column("addresses", table.new);
    let mut bits = Vec::new();
    put_bits(&mut bits, txs.iter().filter(|tx| tx.high_s()).map(|tx| tx.signature.v()));
    column("high_s_parity_bits", bits);
    let mut signatures = Vec::with_capacity(64 * txs.len());
    for tx in &txs {
        signatures.extend_from_slice(&tx.signature.r().to_be_bytes::<32>());
        let mut s = tx.signature.s().to_be_bytes::<32>();
        if !tx.high_s() {
            // The top bit of `s` is free: it holds the y parity (EIP-2098).
            s[0] |= u8::from(tx.signature.v()) << 7;
        }
        signatures.extend_from_slice(&s);
    }
    column("signatures", signatures);
    columns
}

pub(super) fn decode_txs(
    r: &mut Reader<'_>,
    total: usize,
    chain_id: u64,
) -> Result<Vec<Bytes>, BatchError> {
    let opaque = r.bits(total, "opaque_bits")?;
    let opaque_count = opaque.iter().filter(|o| **o).count();
    let mut lengths = Vec::with_capacity(opaque_count);
    let mut opaque_bytes: usize = 0;
    for _ in 0..opaque_count {
        let len = r.uvarint("opaque_lengths")?;
        let len = r.count(len, 1, "opaque_lengths")?;
        opaque_bytes = opaque_bytes.saturating_add(len);
        lengths.push(len);
    }
    r.check(opaque_bytes, "opaque_txs")?;
    let mut opaque_txs = Vec::with_capacity(opaque_count);
    for len in lengths {
        opaque_txs.push(Bytes::copy_from_slice(r.bytes(len, "opaque_txs")?));
    }

    let m = total - opaque_count;
    // Bound the columnar transactions by the input before allocating them.
    r.check(m.saturating_mul(MIN_STRUCTURED_TX_BYTES), "structured transactions")?;
    let mut keys = Vec::with_capacity(m);
    let mut shape_count = 0usize;
    for _ in 0..m {
        let key = r.uvarint::<u64>("calldata_shapes")?;
        if key > shape_count as u64 + 1 {
            return Err(span_error(format!(
                "calldata_shapes: reference {key} to an unknown shape"
            )));
        }
        shape_count += usize::from(key == shape_count as u64 + 1);
        // At most `m`.
        keys.push(key as usize);
    }
    // Each shape takes at least 5 bytes: its selector and word count.
    r.check(shape_count.saturating_mul(5), "shapes")?;
    let mut shapes = Vec::with_capacity(shape_count);
    let mut distinct = HashSet::with_capacity(shape_count);
    for _ in 0..shape_count {
        let selector = r.array::<4>("shapes")?;
        let words = r.uvarint("shapes")?;
        let words = r.count(words, 1, "shapes")?;
        let kinds = r.bytes(words, "shapes")?.to_vec();
        if kinds.iter().any(|k| *k > WORD_RAW) {
            return Err(span_error("shapes: unknown word kind"));
        }
        let shape = Shape { selector, kinds };
        if !distinct.insert(shape.clone()) {
            return Err(span_error("shapes: duplicate shape"));
        }
        shapes.push(shape);
    }
    drop(distinct);
    let shape_of = |key: usize| key.checked_sub(1).and_then(|i| shapes.get(i));
    // ABI calldata can be much larger than its columns (zero words take no bytes at all):
    // bound what it decodes to before allocating it.
    let abi_bytes = keys
        .iter()
        .filter_map(|key| shape_of(*key))
        .fold(0usize, |sum, shape| sum.saturating_add(shape.len()));
    if abi_bytes > MAX_CHANNEL_DECOMPRESSED_BYTES {
        return Err(span_error(format!(
            "calldata_shapes: {abi_bytes} bytes of ABI calldata, more than \
             {MAX_CHANNEL_DECOMPRESSED_BYTES}"
        )));
    }
    // Grouped order: `order[g]` is the block-order position of the `g`-th transaction of
    // the columns below (stable sort by shape).
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by_key(|i| keys[*i]);
    let keys: Vec<usize> = order.iter().map(|i| keys[*i]).collect();

    let types = r.bytes(m, "tx_types")?;
    let supported = [TYPE_LEGACY, TYPE_EIP2930, TYPE_EIP1559, TYPE_EIP7702];
    if let Some(bad) = types.iter().map(|t| t & !HIGH_S).find(|t| !supported.contains(t)) {
        return Err(span_error(match bad {
            TYPE_EIP4844 => "EIP-4844 transaction in an L2 batch".to_owned(),
            other => format!("unknown transaction type {other}"),
        }));
    }
    let high_s: Vec<bool> = types.iter().map(|t| t & HIGH_S != 0).collect();
    let no_signature = Signature::new(U256::ZERO, U256::ZERO, false);
    let mut txs: Vec<SpanTx> =
        types.iter().map(|&ty| SpanTx::empty(ty & !HIGH_S, no_signature)).collect();
    let types: Vec<u8> = txs.iter().map(|tx| tx.ty).collect();
    let legacy = types.iter().filter(|t| **t == TYPE_LEGACY).count();
    let mut protected = r.bits(legacy, "protected_bits")?.into_iter();
    for tx in txs.iter_mut().filter(|tx| tx.ty == TYPE_LEGACY) {
        tx.protected = protected.next().unwrap_or_default();
    }
    let creation = r.bits(m, "contract_creation_bits")?;
    let mut refs = Vec::with_capacity(m);
    for ((tx, create), key) in txs.iter().zip(&creation).zip(&keys) {
        if *create {
            if tx.ty == TYPE_EIP7702 {
                return Err(span_error("contract-creating EIP-7702 transaction"));
            }
            if *key != 0 {
                return Err(span_error("calldata_shapes: contract creation with an ABI shape"));
            }
        } else {
            refs.push(r.uvarint::<u64>("to_refs")?);
        }
    }
    let to_count = refs.len();
    let lows = r.bytes(m, "nonce_lows")?;
    for (tx, low) in txs.iter_mut().zip(lows) {
        tx.nonce = u64::from(low & 0x7f);
        if low & 0x80 != 0 {
            let high: u64 = r.uvarint("nonce_highs")?;
            if high == 0 || high > u64::MAX >> 7 {
                return Err(span_error(format!("nonce_highs: {high} out of range")));
            }
            tx.nonce |= high << 7;
        }
    }
    for tx in &mut txs {
        tx.gas_limit = r.uvarint("gas_limits")?;
    }
    for tx in txs.iter_mut().filter(|tx| tx.has_gas_price()) {
        tx.gas_price = r.uvarint("gas_prices")?;
    }
    for tx in txs.iter_mut().filter(|tx| !tx.has_gas_price()) {
        tx.max_priority_fee = r.uvarint("max_priority_fees")?;
    }
    for tx in txs.iter_mut().filter(|tx| !tx.has_gas_price()) {
        let excess: u128 = r.uvarint("max_fee_excesses")?;
        tx.gas_price = excess.wrapping_add(tx.max_priority_fee);
    }
    let values =
        r.decimals(m, MAX_VALUE_EXPONENT, ["value_headers", "value_leads", "value_tails"])?;
    for (tx, value) in txs.iter_mut().zip(values) {
        tx.value = value;
    }

    let raw = keys.iter().filter(|key| **key == 0).count();
    let mut input_lengths = Vec::with_capacity(raw);
    let mut input_bytes: usize = 0;
    // The raw calldata group comes first.
    for create in &creation[..raw] {
        let len = r.uvarint("calldata_lengths")?;
        let len = r.count(len, 1, "calldata_lengths")?;
        if is_abi(*create, len) {
            return Err(span_error("calldata_lengths: ABI calldata stored raw"));
        }
        input_bytes = input_bytes.saturating_add(len);
        input_lengths.push(len);
    }
    r.check(input_bytes, "calldata")?;
    for (tx, len) in txs.iter_mut().zip(input_lengths) {
        tx.input = Bytes::copy_from_slice(r.bytes(len, "calldata")?);
    }
    let words = |kind| keys.iter().filter_map(|key| shape_of(*key)).map(|s| s.count(kind)).sum();
    let address_words = r.count(words(WORD_ADDRESS) as u64, 1, "word_refs")?;
    refs.reserve_exact(address_words);
    for _ in 0..address_words {
        refs.push(r.uvarint::<u64>("word_refs")?);
    }
    let numbers = r.decimals(
        words(WORD_NUMBER),
        MAX_NUMBER_EXPONENT,
        ["number_headers", "number_leads", "number_tails"],
    )?;
    if numbers.iter().any(|n| n.is_zero() || n.bit_len() > 128) {
        return Err(span_error("number_headers: number word not in 1..2^128"));
    }
    let raw_words = r.bytes(words(WORD_RAW).saturating_mul(32), "raw_words")?;
    if raw_words.chunks(32).any(|w| word_kind(w) != WORD_RAW) {
        return Err(span_error("raw_words: word below 2^160"));
    }
    for tx in txs.iter_mut().filter(|tx| tx.has_access_list()) {
        tx.access_list = r.rlp("access_lists")?;
    }
    for tx in txs.iter_mut().filter(|tx| tx.ty == TYPE_EIP7702) {
        tx.authorization_list = r.rlp("authorization_lists")?;
    }

    // Address references, `to_refs` then `word_refs`: 0 introduces the next address.
    let mut known = 0usize;
    for (i, reference) in refs.iter_mut().enumerate() {
        if *reference == 0 {
            known += 1;
            *reference = known as u64;
        } else if *reference > known as u64 {
            let what = if i < to_count { "to_refs" } else { "word_refs" };
            return Err(span_error(format!("{what}: reference {reference} to an unknown address")));
        }
    }
    // At most one address per reference, each reference at least one byte.
    r.check(known.saturating_mul(20), "addresses")?;
    let mut table = Vec::with_capacity(known);
    let mut distinct = HashSet::with_capacity(known);
    for _ in 0..known {
        let address = Address::from(r.array::<20>("addresses")?);
        if !distinct.insert(address) {
            return Err(span_error(format!("addresses: {address} stored twice")));
        }
        table.push(address);
    }
    drop(distinct);
    // References are in 1..=known.
    let mut addresses = refs.into_iter().map(|i| table.get(i as usize - 1).copied());
    for (tx, create) in txs.iter_mut().zip(creation) {
        if !create {
            tx.to = TxKind::Call(addresses.next().flatten().unwrap_or_default());
        }
    }

    // ABI calldata: group by group, argument by argument, transaction by transaction.
    let (mut numbers, mut raw_words) = (numbers.into_iter(), raw_words.chunks(32));
    let mut start = raw;
    while start < m {
        let key = keys[start];
        let end = start + keys[start..].iter().take_while(|k| **k == key).count();
        let Some(shape) = shape_of(key) else { break };
        let mut inputs: Vec<Vec<u8>> = (start..end)
            .map(|_| {
                let mut input = vec![0; shape.len()];
                input[..4].copy_from_slice(&shape.selector);
                input
            })
            .collect();
        for (position, kind) in shape.kinds.iter().enumerate() {
            for input in &mut inputs {
                let word = &mut input[4 + 32 * position..][..32];
                match *kind {
                    WORD_NUMBER => word
                        .copy_from_slice(&numbers.next().unwrap_or_default().to_be_bytes::<32>()),
                    WORD_ADDRESS => {
                        let address = addresses.next().flatten().unwrap_or_default();
                        if address[..4] == [0; 4] {
                            return Err(span_error("word_refs: address word below 2^128"));
                        }
                        word[12..].copy_from_slice(address.as_slice());
                    }
                    WORD_RAW => word.copy_from_slice(raw_words.next().unwrap_or_default()),
                    _ => {}
                }
            }
        }
        for (tx, input) in txs[start..end].iter_mut().zip(inputs) {
            tx.input = input.into();
        }
        start = end;
    }

    let high_s_count = high_s.iter().filter(|h| **h).count();
    let mut high_s_parity = r.bits(high_s_count, "high_s_parity_bits")?.into_iter();
    r.check(m.saturating_mul(64), "signatures")?;
    for (tx, high) in txs.iter_mut().zip(high_s) {
        let r_bytes = r.array::<32>("signatures")?;
        let mut s = r.array::<32>("signatures")?;
        let parity = if high {
            if s[0] >> 7 == 0 {
                return Err(span_error("tx_types: high s flag on an s below 2^255"));
            }
            high_s_parity.next().unwrap_or_default()
        } else {
            let parity = s[0] >> 7 == 1;
            s[0] &= 0x7f;
            parity
        };
        tx.signature = Signature::new(U256::from_be_bytes(r_bytes), U256::from_be_bytes(s), parity);
    }

    // Back to block order.
    let mut structured = vec![Bytes::new(); m];
    for (tx, position) in txs.into_iter().zip(order) {
        structured[position] = tx.into_envelope(chain_id).encoded_2718().into();
    }
    let mut structured = structured.into_iter();
    let mut opaque_txs = opaque_txs.into_iter();
    Ok(opaque
        .into_iter()
        .map(|o| if o { opaque_txs.next() } else { structured.next() }.unwrap_or_default())
        .collect())
}
