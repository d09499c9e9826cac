// What must catch the eye first: the red "no leader — nothing is serving" banner (with how long
// it has lasted), the connection pill's staleness, and the znodes ZooKeeper holds that the
// nodes rejected. Server values go in through textContent only.
import { h } from './dom.js';

/** 83 s → "1 min 23 s". */
export function elapsed(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function clock(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * The banner from frame.serving (control/dashboard/serving.ts). `now` is the node's clock as
 * of this moment (frame.at plus the time since it arrived), so the count goes on between
 * frames and a browser clock that differs from the node's does not skew it.
 */
export function renderOutage(el, f, now) {
  const s = f?.serving;
  if (s?.state !== 'outage') {
    el.hidden = true;
    el.dataset.state = s?.state ?? 'unknown';
    return;
  }
  el.hidden = false;
  el.dataset.state = 'outage';
  const title = h('span', 'outage-title', `no leader — nothing is serving for ${elapsed(now - s.since)}`);
  title.dataset.testid = 'outage-title';
  const detail = s.sinceKnown
    ? `since ${clock(s.since)}, when ${s.lastServer ?? 'a node'} was last seen serving · as ${f.node} sees it`
    : `since at least ${clock(s.since)} (${f.node} started then and has seen no node serve) · as ${f.node} sees it`;
  el.replaceChildren(title, h('span', 'outage-detail', detail));
}

/** The pill: live, stale (frames stopped coming), or a static snapshot. */
export function renderPill(el, conn, receivedAt, nowMs, staleMs) {
  const base = (conn.base ?? '').replace(/^https?:\/\//, '');
  let kind = conn.kind;
  let text;
  if (kind === 'static')
    text = `static snapshot of ${conn.detail} at ${clock(receivedAt)} · not live (?static=1)`;
  else if (kind === 'connected' && receivedAt > 0 && nowMs - receivedAt > staleMs) {
    kind = 'stale';
    text = `stale · no frame from ${base} for ${elapsed(nowMs - receivedAt)}`;
  } else if (kind === 'connected') text = `live · ${conn.detail} · ${base}${conn.zkNote ?? ''}`;
  else if (kind === 'connecting') text = `connecting to ${base}…`;
  else text = `lost ${base} (${conn.detail}) — trying another node`;
  const cls = {
    connected: 'conn-ok',
    connecting: 'conn-connecting',
    stale: 'conn-stale',
    static: 'conn-static',
  };
  el.className = `conn ${cls[kind] ?? 'conn-lost'}`;
  if (el.textContent !== text) el.textContent = text;
  el.dataset.state = kind;
  el.dataset.base = conn.base ?? '';
  return kind;
}

/** Rows for an older node's frame without `rejected`: what its /status carries. */
function legacyRows(f) {
  const rows = (f.self?.rejected ?? []).map((r) => ({
    kind: 'backend',
    service: null,
    ...r,
    effect: 'not routed',
  }));
  for (const s of f.self?.services ?? []) {
    if (s.rejected) rows.push({ kind: 'service', service: s.name, ...s.rejected, effect: '' });
    for (const r of s.rejectedBackends ?? [])
      rows.push({ kind: 'service backend', service: s.name, ...r, effect: 'not routed' });
  }
  return rows;
}

let lastRejected = '';

/** The "Rejected in ZooKeeper" panel: hidden while nothing is rejected. */
export function renderRejected($, f) {
  const rows = Array.isArray(f.rejected) ? f.rejected : legacyRows(f);
  const key = JSON.stringify(rows);
  if (key === lastRejected) return;
  lastRejected = key;
  $('rejected-panel').hidden = rows.length === 0;
  $('rejected').tBodies[0].replaceChildren(
    ...rows.map((r) => {
      const tr = h('tr');
      tr.dataset.kind = r.kind;
      const what = r.service ? `${r.kind} of ${r.service}` : r.kind;
      tr.append(
        h('td', '', what),
        h('td', 'mono', r.path ?? '—'),
        h('td', 'mono', r.code ?? '—'),
        h('td', 'cause', r.message ?? ''),
        h('td', 'muted', r.effect ?? ''),
      );
      return tr;
    }),
  );
  const kinds = new Map();
  for (const r of rows) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  $('rejected-note').textContent =
    `${[...kinds].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(' · ')} · as ${f.node} read them`;
}
