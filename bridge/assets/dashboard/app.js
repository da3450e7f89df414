// The rollup dashboard: follows GET /v1/events (Server-Sent Events) and polls
// the REST API of the bridge that serves it. No dependencies, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const WEI = 10n ** 18n;
const state = {
  config: null,
  devAccounts: [],
  status: [],          // recent /v1/status samples {t, l2, l1}
  deposits: new Map(), // l1_tx_hash -> row
  withdrawals: new Map(), // withdrawal_hash -> row
  games: new Map(),    // id -> ChallengeItem
  gameFacts: new Map(),// id -> {proven, bonds:[], deleted}
  outputs: [],
  faults: [],
  connected: false,
};

// ---------- helpers ----------
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function short(h) { return h ? `${h.slice(0, 8)}…${h.slice(-4)}` : "—"; }
function eth(wei, digits = 4) {
  if (wei === null || wei === undefined) return "—";
  const v = BigInt(wei);
  const whole = v / WEI;
  const frac = (v % WEI).toString().padStart(18, "0").slice(0, digits).replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}
function gwei(wei) { return (Number(wei) / 1e9).toFixed(Number(wei) < 1e7 ? 6 : 3); }
function toWei(text) {
  const m = /^\s*(\d+)(?:\.(\d{0,18}))?\s*$/.exec(text);
  if (!m) return null;
  const wei = BigInt(m[1]) * WEI + BigInt((m[2] || "").padEnd(18, "0"));
  return wei > 0n ? wei.toString() : null;
}
function secs(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  n = Math.max(0, Math.round(n));
  const m = Math.floor(n / 60), s = n % 60;
  return m ? `${m}m ${String(s).padStart(2, "0")}s` : `${s}s`;
}
function now() { return Date.now() / 1000; }
function status(s) { return `<span class="status s-${esc(s)}">${esc(s)}</span>`; }
function hash(h) { return h ? `<span class="hash" title="${esc(h)}">${esc(short(h))}</span>` : "—"; }
function l1tx(h) { return h ? `<a class="hash" href="#" data-copy="${esc(h)}" title="L1 tx ${esc(h)} (click to copy)">${esc(short(h))}</a>` : "—"; }
function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 4000);
}
async function api(path, options = {}) {
  const res = await fetch(path, { headers: { "content-type": "application/json" }, ...options });
  let body = null;
  try { body = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) {
    const e = new Error(body && body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
    e.status = res.status;
    throw e;
  }
  return body;
}
function logEvent(kind, text) {
  const li = document.createElement("li");
  li.innerHTML = `<span class="muted">${new Date().toLocaleTimeString()}</span> <span class="kind">${esc(kind)}</span>${esc(text)}`;
  const log = $("log");
  log.prepend(li);
  while (log.children.length > 200) log.lastChild.remove();
}

// ---------- heads, rates, fees ----------
function headRows(h) {
  if (!h) return `<dt>status</dt><dd class="bad">unreachable</dd>`;
  const row = (name, b) => `<dt>${name}</dt><dd>${b ? `<b>${b.number}</b> <span class="hash muted">${esc(short(b.hash))}</span>` : "—"}</dd>`;
  return row("latest", h.latest) + row("safe", h.safe) + row("finalized", h.finalized);
}
async function pollStatus() {
  try {
    const s = await api("/v1/status");
    state.status.push({ t: now(), s });
    while (state.status.length > 1 && state.status[0].t < now() - 20) state.status.shift();
    $("l1-heads").innerHTML = headRows(s.l1);
    $("l2-heads").innerHTML = headRows(s.l2);
    const first = state.status[0].s, dt = now() - state.status[0].t;
    const rate = (c) => (first[c] && s[c] && dt > 1) ? ((s[c].latest.number - first[c].latest.number) / dt).toFixed(2) : "—";
    const pool = s.l2_pool ? `${s.l2_pool.pending} pending · ${s.l2_pool.queued} queued` : "—";
    $("rates").innerHTML =
      `<dt>L2 blocks/s</dt><dd class="big">${rate("l2")}</dd><dt>L1 blocks/s</dt><dd>${rate("l1")}</dd>` +
      `<dt>L2 pool</dt><dd>${pool}</dd><dt>indexed</dt><dd>L1 ${s.l1_indexed_block ?? "—"} · L2 ${s.l2_indexed_block ?? "—"}</dd>`;
  } catch (e) { /* shown by the connection pill */ }
}
async function pollFees() {
  try {
    const f = await api("/v1/fees");
    $("fees").innerHTML =
      `<dt>L2 transfer</dt><dd>${eth(f.l2_eth_transfer.total_wei, 9)} ETH</dd>` +
      `<dt>L1 transfer</dt><dd>${eth(f.l1_eth_transfer.total_wei, 9)} ETH</dd>` +
      `<dt>ETH transfer</dt><dd class="big">${f.eth_transfer_savings.toFixed(1)}× cheaper</dd>` +
      `<dt>ERC-20 transfer</dt><dd>${f.erc20_transfer_savings.toFixed(1)}× cheaper</dd>` +
      `<dt>L1 base fee</dt><dd>${gwei(f.l1_base_fee_wei)} gwei</dd><dt>L2 base fee</dt><dd>${gwei(f.l2_base_fee_wei)} gwei</dd>`;
  } catch (_) { /* retried */ }
}
async function loadBench() {
  try {
    const b = await api("/v1/bench");
    $("bench").innerHTML = `<p class="muted">Last fee benchmark (${esc(b.txs)} × ${esc(b.workload)}, ${esc(b.da_used)}, ${esc(b.compression)}/${esc(b.encoding)}): ` +
      `<b>${b.bytes_per_tx.toFixed(1)} B/tx</b> (${(b.bytes_ratio * 100).toFixed(1)}% of raw), L1 cost <b>${b.l1_cost_ratio.toFixed(0)}×</b> lower, ` +
      `users save <b>${b.savings_ratio.toFixed(1)}×</b>, fee coverage ${b.fee_coverage.toFixed(2)}</p>`;
  } catch (_) { $("bench").innerHTML = `<p class="muted">No fee benchmark report (run <code>rollup bench fees --out bench-out</code>).</p>`; }
}

// ---------- batches, outputs ----------
async function loadBatches() {
  try {
    const page = await api("/v1/batches?limit=10");
    $("batches").innerHTML = page.items.map((b) => {
      const d = b.details;
      const n = b.l2_end - b.l2_start + 1;
      const codec = d && d.compression ? `${d.compression}/${d.encoding}` : "—";
      const perTx = d && d.transactions ? (d.bytes / d.transactions).toFixed(1) : "—";
      return `<tr><td>${b.index}</td><td>${b.l2_start}–${b.l2_end} <span class="muted">(${n})</span></td>` +
        `<td>${d ? d.bytes.toLocaleString() : "—"}</td><td>${b.is_blob ? `blobs${d ? ` ×${d.blobs}` : ""}` : "calldata"}</td>` +
        `<td>${esc(codec)}</td><td>${d && d.transactions !== null ? d.transactions : "—"}</td><td>${perTx}</td>` +
        `<td>${d ? `${eth(d.l1_fee_wei, 6)} ETH` : "—"}</td><td>${l1tx(b.l1_tx_hash)}</td></tr>`;
    }).join("") || `<tr><td colspan="9" class="muted">No batch posted yet.</td></tr>`;
  } catch (_) { /* retried */ }
}
async function loadOutputs() {
  try {
    const page = await api("/v1/outputs?limit=12");
    state.outputs = page.items;
    renderOutputs();
  } catch (_) { /* retried */ }
}
function renderOutputs() {
  $("outputs").innerHTML = state.outputs.map((o) => {
    const left = o.finalizable_at - now();
    const final = o.status === "finalized" ? "final" : o.status === "deleted" ? "—" : left > 0 ? secs(left) : "any moment";
    return `<tr><td>${o.index}</td><td>${o.l2_block}</td><td>${hash(o.output_root)}</td><td>${status(o.status)}</td>` +
      `<td>${final}</td><td>${l1tx(o.l1_tx_hash)}</td></tr>`;
  }).join("") || `<tr><td colspan="6" class="muted">No output proposed yet.</td></tr>`;
}

// ---------- deposits, withdrawals ----------
function renderDeposits() {
  const rows = [...state.deposits.values()].sort((a, b) => (b.index ?? 1e18) - (a.index ?? 1e18)).slice(0, 12);
  $("deposits").innerHTML = rows.map((d) =>
    `<tr data-deposit="${esc(d.l1_tx_hash)}"><td>${d.index ?? "—"}</td><td>${hash(d.to)}</td><td>${eth(d.amount)}</td>` +
    `<td>${status(d.status)}</td><td>${l1tx(d.l1_tx_hash)}</td></tr>`).join("") ||
    `<tr><td colspan="5" class="muted">Deposits made while this page is open show here.</td></tr>`;
}
function renderWithdrawals() {
  const rows = [...state.withdrawals.values()].sort((a, b) => b.nonce - a.nonce).slice(0, 12);
  $("withdrawals").innerHTML = rows.map((w) => {
    let action = "";
    if (w.status === "ready-to-finalize") action = `<button data-finalize="${esc(w.hash)}">Finalize</button>`;
    else if (w.status === "waiting-to-finalize" && w.finalizable_at) action = `<span class="muted">in ${secs(w.finalizable_at - now())}</span>`;
    return `<tr><td>${w.nonce}</td><td>${hash(w.to)}</td><td>${eth(w.amount)}</td><td>${status(w.status)}</td><td>${action}</td></tr>`;
  }).join("") || `<tr><td colspan="5" class="muted">Withdrawals made while this page is open show here.</td></tr>`;
}
async function refreshWithdrawals() {
  for (const w of state.withdrawals.values()) {
    if (w.status === "finalized") continue;
    try {
      const s = await api(`/v1/withdrawals/${w.hash}`);
      Object.assign(w, { status: s.status, finalizable_at: s.finalizable_at });
    } catch (_) { /* retried */ }
  }
  renderWithdrawals();
}
function devOptions() {
  const opts = state.devAccounts.map((a, i) => `<option value="${esc(a)}">#${i} ${esc(short(a))}</option>`).join("");
  $("deposit-from").innerHTML = opts;
  $("withdraw-from").innerHTML = opts;
  const none = state.devAccounts.length === 0;
  $("deposit-btn").disabled = none;
  $("withdraw-btn").disabled = none;
}
$("deposit-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const from = $("deposit-from").value, amount = toWei($("deposit-amount").value);
  if (!amount) return toast("Enter a positive amount of ETH");
  $("deposit-btn").disabled = true;
  try {
    const d = await api("/v1/deposits", { method: "POST", body: JSON.stringify({ from, to: from, amount }) });
    const row = state.deposits.get(d.l1_tx_hash) || {};
    state.deposits.set(d.l1_tx_hash, Object.assign({ l1_tx_hash: d.l1_tx_hash, to: from, amount }, row,
      { index: d.deposit_index ?? row.index, status: row.status === "l2-credited" ? row.status : d.status }));
    renderDeposits();
    toast(`Deposit ${d.deposit_index ?? ""} sent on L1`);
  } catch (e) { toast(`Deposit refused: ${e.message}`); }
  $("deposit-btn").disabled = false;
});
$("withdraw-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const from = $("withdraw-from").value, amount = toWei($("withdraw-amount").value);
  if (!amount) return toast("Enter a positive amount of ETH");
  $("withdraw-btn").disabled = true;
  try {
    const w = await api("/v1/withdrawals", { method: "POST", body: JSON.stringify({ from, to: from, amount }) });
    state.withdrawals.set(w.withdrawal_hash, { hash: w.withdrawal_hash, nonce: w.nonce, to: from, amount, status: w.status });
    renderWithdrawals();
    toast(`Withdrawal ${w.nonce} initiated on L2`);
  } catch (e) { toast(`Withdrawal refused: ${e.message}`); }
  $("withdraw-btn").disabled = false;
});
document.addEventListener("click", async (ev) => {
  const t = ev.target;
  if (t.dataset.copy) {
    ev.preventDefault();
    if (navigator.clipboard) navigator.clipboard.writeText(t.dataset.copy).catch(() => {});
    toast(`Copied ${t.dataset.copy}`);
  } else if (t.dataset.finalize) {
    t.disabled = true;
    try {
      const f = await api(`/v1/withdrawals/${t.dataset.finalize}/finalize`, { method: "POST" });
      const w = state.withdrawals.get(t.dataset.finalize);
      if (w) w.status = f.status;
      renderWithdrawals();
      toast(f.l1_tx_hash ? `Finalized on L1 in ${short(f.l1_tx_hash)}` : "Ready: send the returned calldata");
    } catch (e) { toast(`Finalize refused: ${e.message}`); t.disabled = false; }
  } else if (t.dataset.fault) {
    t.disabled = true;
    try {
      if (t.dataset.action === "arm") await api("/v1/faults", { method: "POST", body: JSON.stringify({ kind: t.dataset.fault }) });
      else await api(`/v1/faults/${t.dataset.fault}`, { method: "DELETE" });
      toast(`${t.dataset.fault} ${t.dataset.action === "arm" ? "armed" : "lifted"}`);
    } catch (e) { toast(`Refused: ${e.message}`); }
    loadFaults();
  }
});

// ---------- faults ----------
async function loadFaults() {
  try {
    const list = await api("/v1/faults");
    state.faults = list.items;
  } catch (e) {
    state.faults = null;
  }
  const el = $("faults");
  if (!state.faults) { el.innerHTML = `<span class="muted">Fault controls are devnet-only.</span>`; return; }
  el.innerHTML = state.faults.map((f) => {
    const armed = f.status === "armed";
    const btn = armed
      ? `<button class="ghost" data-fault="${esc(f.kind)}" data-action="lift">Lift</button>`
      : `<button class="danger" data-fault="${esc(f.kind)}" data-action="arm">Arm</button>`;
    const note = armed ? (f.lifts_at ? `lifts in ${secs(f.lifts_at - now())}` : f.one_shot ? "fires next" : "in force") : f.one_shot ? "one-shot" : "until lifted";
    return `<div class="fault ${armed ? "armed" : ""}" data-kind="${esc(f.kind)}"><span class="name">${esc(f.kind)}</span>` +
      `<span class="small muted">${note}</span>${btn}</div>`;
  }).join("");
}

// ---------- disputes ----------
async function loadGames() {
  try {
    const page = await api("/v1/challenges?limit=5");
    for (const g of page.items) state.games.set(g.id, g);
    renderGames();
  } catch (_) { /* no factory, or retried */ }
}
function facts(id) {
  if (!state.gameFacts.has(id)) state.gameFacts.set(id, { proven: null, bonds: [], deleted: null });
  return state.gameFacts.get(id);
}
function clock(g, side) {
  const c = g.clocks;
  const used = side === "proposer" ? c.proposer_used_secs : c.challenger_used_secs;
  let left = c.budget_secs - used;
  const turn = g.turn === side;
  if (turn && c.turn_deadline) left = c.turn_deadline - now();
  const pct = Math.max(0, Math.min(100, (100 * left) / c.budget_secs));
  return `<div class="clock ${turn ? "turn" : ""} clock-${side}"><div class="${side}">${side}${turn ? " · to move" : ""}</div>` +
    `<div class="time">${secs(left)}</div><div class="bar"><i class="${side === "proposer" ? "bar-prop" : "bar-chal"}" style="width:${pct}%"></i></div></div>`;
}
function bisection(g) {
  const interval = state.config ? state.config.output_interval : 0;
  let lo0 = Math.max(0, g.l2_block - interval);
  for (const m of g.moves) lo0 = Math.min(lo0, m.lo);
  lo0 = Math.min(lo0, g.range.lo);
  const hi0 = g.l2_block;
  const span = Math.max(1, hi0 - lo0);
  const W = 1000, left = 110, right = 20, rowH = 26;
  const rows = [{ lo: lo0, hi: hi0, label: "opened", mid: null }].concat(g.moves.map((m, i) => ({
    lo: m.lo, hi: m.hi, mid: m.mid_block, side: m.side, label: `${i + 1}. ${m.side}`,
  })));
  const x = (b) => left + ((b - lo0) / span) * (W - left - right);
  const H = rows.length * rowH + 24;
  let svg = `<svg class="bisect" viewBox="0 0 ${W} ${H}" role="img" aria-label="bisection of game ${g.id}">`;
  rows.forEach((r, i) => {
    const y = i * rowH + 6, now = i === rows.length - 1;
    svg += `<text x="0" y="${y + 14}">${esc(r.label)}</text>`;
    svg += `<rect class="range ${now ? "now" : ""}" x="${x(r.lo)}" y="${y}" width="${Math.max(3, x(r.hi) - x(r.lo))}" height="18" rx="3"/>`;
    svg += `<text x="${x(r.lo) + 3}" y="${y + 13}" style="fill:#cfd8e3">${r.lo}</text>`;
    svg += `<text x="${x(r.hi) - 3}" y="${y + 13}" text-anchor="end" style="fill:#cfd8e3">${r.hi}</text>`;
    if (r.mid !== null && r.mid !== undefined) {
      const color = r.side === "proposer" ? "var(--prop)" : "var(--chal)";
      svg += `<line x1="${x(r.mid)}" x2="${x(r.mid)}" y1="${y - 2}" y2="${y + 20}" stroke="${color}" stroke-width="3"/>`;
    }
  });
  svg += `<text x="${left}" y="${H - 4}">L2 block ${lo0}</text><text x="${W - right}" y="${H - 4}" text-anchor="end">${hi0}</text></svg>`;
  return svg;
}
function moveList(g) {
  return g.moves.map((m, i) => {
    const next = g.moves[i + 1];
    const answer = m.mid_block === null ? "" : next
      ? (next.agreed ? ` — <span class="${esc(next.side)}">${esc(next.side)}</span> agrees ✓` : ` — <span class="${esc(next.side)}">${esc(next.side)}</span> disagrees ✗ (its root differs)`)
      : (g.turn ? ` — awaiting <span class="${esc(g.turn)}">${esc(g.turn)}</span>` : "");
    const posted = m.mid_block === null
      ? `one block left (${m.lo}→${m.hi}): to be proven on L1 with EXECUTE`
      : `posts root ${hash(m.mid_root)} at block <b>${m.mid_block}</b>`;
    return `<li><span class="${esc(m.side)}">${esc(m.side)}</span> ${m.agreed ? "agreed, " : ""}range ${m.lo}–${m.hi}; ${posted}${answer}</li>`;
  }).join("");
}
function renderGames() {
  const games = [...state.games.values()].sort((a, b) => b.id - a.id).slice(0, 4);
  if (!games.length) return;
  $("games").innerHTML = games.map((g) => {
    const f = facts(g.id);
    const result = g.result
      ? `<span class="result ${esc(g.result.winner)}">${esc(g.result.winner)} won (${esc(g.result.reason || "…")})</span>`
      : g.status === "cancelled" ? `<span class="result muted">cancelled (output deleted by an earlier game)</span>`
      : `<span class="result s-in-progress">in progress — ${esc(g.turn || "")} to move</span>`;
    const proven = f.proven
      ? `<div>proving tx ${l1tx(f.proven.l1_tx_hash)}: EXECUTE re-ran L2 block <b>${f.proven.l2_block}</b> → root ${hash(f.proven.output_root)}</div>`
      : g.result && g.result.proven_root ? `<div>EXECUTE result: root ${hash(g.result.proven_root)}</div>` : "";
    const resolved = g.result && g.result.l1_tx_hash ? `<div>resolved in ${l1tx(g.result.l1_tx_hash)}</div>` : "";
    const bonds = f.bonds.map((b) => `<div>bond of output ${b.output_index}: <b>${eth(b.amount)} ETH</b> paid to ${hash(b.to)}</div>`).join("");
    const deleted = f.deleted ? `<div class="s-deleted">outputs ${f.deleted.from_index}–${f.deleted.prev_next_index - 1} deleted</div>` : "";
    return `<div class="game" data-game="${g.id}" data-status="${esc(g.status)}">` +
      `<div class="game-head"><b>game ${g.id}</b><span>output ${g.output_index} (L2 block ${g.l2_block})</span>${status(g.status)}${result}</div>` +
      `<div class="facts"><div>proposer claims ${hash(g.disputed_by === "proposer" ? g.disputed_root : g.agreed_root)}</div>` +
      `<div>challenger claims ${hash(g.counter_root)}</div><div>range now <b>${g.range.lo}–${g.range.hi}</b> (${g.range.hi - g.range.lo} blocks)</div></div>` +
      `<div class="clocks">${clock(g, "proposer")}${clock(g, "challenger")}</div>` +
      `<div class="scroll">${bisection(g)}</div>` + `<ol class="moves">${moveList(g)}</ol>` +
      `<div class="facts">${proven}${resolved}${bonds}${deleted}</div></div>`;
  }).join("");
}

// ---------- live events ----------
let source = null;
function setConn(on, text) {
  state.connected = on;
  const el = $("conn");
  el.className = `pill ${on ? "on" : "off"}`;
  el.textContent = text;
  el.dataset.state = on ? "live" : "reconnecting";
}
function connect() {
  if (source) source.close();
  source = new EventSource("/v1/events");
  source.onopen = () => { setConn(true, "live"); refreshAll(); };
  source.onerror = () => {
    setConn(false, "reconnecting…");
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
  const on = (kind, f) => source.addEventListener(kind, (ev) => {
    let data = {};
    try { data = JSON.parse(ev.data); } catch (_) { return; }
    f(data);
  });
  const dep = (d, st) => {
    const row = state.deposits.get(d.l1_tx_hash) || {};
    if (row.status === "l2-credited") st = row.status;
    state.deposits.set(d.l1_tx_hash, Object.assign(row, { l1_tx_hash: d.l1_tx_hash, index: d.deposit_index, to: d.to, amount: d.amount, status: st }));
    renderDeposits();
  };
  on("deposit-initiated", (d) => { dep(d, "l1-included"); logEvent("deposit-initiated", ` #${d.deposit_index} ${eth(d.amount)} ETH to ${short(d.to)}`); });
  on("deposit-credited", (d) => { dep(d, "l2-credited"); logEvent("deposit-credited", ` #${d.deposit_index} in L2 block ${d.l2_block}`); });
  on("batch-posted", (b) => { logEvent("batch-posted", ` #${b.index} L2 ${b.l2_start}–${b.l2_end}${b.is_blob ? " (blobs)" : ""}`); loadBatches(); });
  on("output-proposed", (o) => { logEvent("output-proposed", ` #${o.index} L2 block ${o.l2_block} ${short(o.output_root)}`); loadOutputs(); });
  on("outputs-deleted", (o) => {
    logEvent("outputs-deleted", ` ${o.from_index}..${o.prev_next_index}`);
    for (const g of state.games.values()) if (g.output_index === o.from_index) facts(g.id).deleted = o;
    loadOutputs(); renderGames();
  });
  on("withdrawal-initiated", (w) => {
    if (!state.withdrawals.has(w.withdrawal_hash)) state.withdrawals.set(w.withdrawal_hash, { hash: w.withdrawal_hash, nonce: w.nonce, to: w.to, amount: w.amount, status: "initiated" });
    logEvent("withdrawal-initiated", ` #${w.nonce} ${eth(w.amount)} ETH`); renderWithdrawals();
  });
  on("withdrawal-finalized", (w) => {
    const row = state.withdrawals.get(w.withdrawal_hash);
    if (row) row.status = "finalized";
    logEvent("withdrawal-finalized", ` ${short(w.withdrawal_hash)}`); renderWithdrawals();
  });
  const game = (kind, text) => (e) => { logEvent(kind, text(e)); loadGames(); loadOutputs(); loadFaults(); };
  on("challenge-opened", game("challenge-opened", (e) => ` game ${e.game_id} vs output ${e.output_index}: blocks ${e.range.lo}–${e.range.hi}`));
  on("challenge-move", game("challenge-move", (e) => ` game ${e.game_id}: ${e.side} → ${e.range.lo}–${e.range.hi}${e.mid_block !== null ? ` mid ${e.mid_block}` : ""}`));
  on("challenge-proven", (e) => { facts(e.game_id).proven = e; game("challenge-proven", (x) => ` game ${x.game_id}: block ${x.l2_block} re-executed on L1`)(e); });
  on("challenge-resolved", game("challenge-resolved", (e) => ` game ${e.game_id}: ${e.winner} won (${e.reason})`));
  on("challenge-cancelled", game("challenge-cancelled", (e) => ` game ${e.game_id} cancelled`));
  on("output-challenged", game("output-challenged", (e) => ` output ${e.output_index} ${e.challenged ? "challenged" : "defended"}`));
  on("bond-slashed", (e) => {
    for (const g of state.games.values()) if (g.output_index === e.output_index) facts(g.id).bonds.push(e);
    game("bond-slashed", (x) => ` output ${x.output_index}: ${eth(x.amount)} ETH to ${short(x.to)}`)(e);
  });
  on("l2-reorg", (e) => { logEvent("l2-reorg", ` L2 blocks ${e.first_block}–${e.old_head} replaced (${e.cause}); ${e.repooled} txs back in the pool`); loadBatches(); });
  on("lagged", (e) => { logEvent("lagged", ` missed ${e.missed}`); refreshAll(); });
}

async function loadConfig() {
  try {
    state.config = await api("/v1/config");
    const doc = await api("/openapi.json");
    const from = doc.components.schemas.DevDepositRequest;
    state.devAccounts = from ? from.properties.from.enum : [];
    devOptions();
  } catch (_) { setTimeout(loadConfig, 2000); }
}
function refreshAll() {
  pollStatus(); pollFees(); loadBatches(); loadOutputs(); loadGames(); loadFaults(); refreshWithdrawals();
  if (!state.config) loadConfig();
}

renderDeposits(); renderWithdrawals();
loadConfig(); loadBench(); refreshAll(); connect();
setInterval(pollStatus, 2000);
setInterval(() => { renderOutputs(); if ([...state.games.values()].some((g) => g.status === "in-progress")) renderGames(); }, 1000);
setInterval(() => { loadOutputs(); loadGames(); loadFaults(); refreshWithdrawals(); }, 4000);
setInterval(() => { pollFees(); loadBatches(); }, 10000);
// Deposits: ask for the status of those still on their way.
setInterval(async () => {
  for (const d of state.deposits.values()) {
    if (d.status === "l2-credited") continue;
    try { const s = await api(`/v1/deposits/${d.l1_tx_hash}`); d.status = s.status; d.index = s.deposit_index ?? d.index; } catch (_) { /* retried */ }
  }
  renderDeposits();
}, 2000);
