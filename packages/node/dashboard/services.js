// The Services panel: the services of services/<name> as the node feeding the page runs them
// (frame.self.services, i.e. its GET /status `services`). Listeners are per node, so this is
// that node's listener; the page moves nodes on failover and the panel follows. Few services
// with few backends each: redrawn whole, but only when the data changed.
import { h } from './dom.js';

/** Phases that mean "not serving": red; transient or administrative ones: amber. */
const BAD = new Set(['bind-failed', 'unsupported']);
const AMBER = new Set(['draining', 'not-opened', 'opening']);

export function fmtBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const addr = (a) =>
  a && typeof a.host === 'string' ? `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}` : '—';

function secondsUntil(ms) {
  return typeof ms === 'number' ? Math.max(0, Math.round((ms - Date.now()) / 1000)) : null;
}

/** The listener phase as [badge text, class, detail]. */
export function listenerBadge(l) {
  const phase = l?.phase ?? 'unknown';
  const cls = BAD.has(phase)
    ? 'phase-bad'
    : AMBER.has(phase)
      ? 'phase-warn'
      : phase === 'listening'
        ? 'phase-ok'
        : '';
  let detail = '';
  if (phase === 'bind-failed') {
    const s = secondsUntil(l.retryAt);
    detail = `${l.message ?? l.code ?? 'bind failed'}; retrying${s === null ? '' : s === 0 ? ' now' : ` in ${s} s`}${l.attempt > 1 ? ` (attempt ${l.attempt})` : ''}`;
  } else if (phase === 'unsupported' || phase === 'not-opened') detail = l.message ?? '';
  else if (phase === 'draining') {
    const s = secondsUntil(l.until);
    detail = s === null ? '' : `closes within ${s} s`;
  } else if (phase === 'opening' && l.attempt > 1) detail = `attempt ${l.attempt}`;
  return [phase.toUpperCase(), cls, detail];
}

function fact(dl, label, value, cls = '') {
  dl.append(h('dt', '', label), h('dd', cls, value));
}

function serviceCard(s) {
  const card = h('article', 'svc');
  card.dataset.testid = 'service';
  card.dataset.service = s.name;
  const [text, cls, detail] = listenerBadge(s.listener);
  card.dataset.phase = s.listener?.phase ?? 'unknown';
  const head = h('div', 'card-head');
  head.append(h('span', 'node-id', s.name));
  if (s.protocol) head.append(h('span', 'badge', s.protocol.toUpperCase()));
  const badge = h('span', `badge ${cls}`, text);
  badge.dataset.testid = 'listener-badge';
  head.append(badge);
  card.append(head);
  const where = h('div', 'svc-addr');
  where.append(h('span', 'url', addr(s.listen)));
  if (detail) {
    const d = h('span', cls === 'phase-bad' ? 'svc-problem' : 'warn', detail);
    d.dataset.testid = 'listener-detail';
    where.append(d);
  }
  card.append(where);

  const up = (s.backends ?? []).filter((b) => b.up).length;
  const total = (s.backends ?? []).length;
  const t = s.traffic ?? {};
  const dl = h('dl', 'facts');
  fact(dl, 'policy', s.policy ? `${s.policy}${s.hash ? ` ${s.hash}` : ''}` : '—');
  fact(dl, 'backends', `${up}/${total} up`, total > 0 && up === 0 ? 'warn' : '');
  const open = t.open ?? t.inFlight;
  fact(dl, 'open', typeof open === 'number' ? String(open) : '—');
  if (typeof t.total === 'number' || typeof t.requests === 'number') fact(dl, 'total', t.total ?? t.requests);
  if (typeof t.bytesIn === 'number' || typeof t.bytesOut === 'number')
    fact(dl, 'bytes', `${fmtBytes(t.bytesIn)} in · ${fmtBytes(t.bytesOut)} out`);
  if (typeof t.refused === 'number' && t.refused > 0) fact(dl, 'refused', t.refused, 'warn');
  // Redis services: commands, and what the last ring change moved (the cache misses to expect).
  if (typeof t.commands === 'number')
    fact(
      dl,
      'commands',
      `${t.commands}${t.errors > 0 ? ` · ${t.errors} errors` : ''}`,
      t.errors > 0 ? 'warn' : '',
    );
  if (typeof t.lastMoved === 'number')
    fact(dl, 'last ring change', `${(t.lastMoved * 100).toFixed(1)} % of keys moved`);
  if (s.check) fact(dl, 'check', s.check);
  card.append(dl);

  const list = h('ul', 'svc-backends');
  for (const b of s.backends ?? []) {
    const li = h('li', '');
    li.dataset.backend = b.id;
    const dot = h('span', `dot ${b.up ? 'dot-up' : 'dot-down'}`);
    dot.title = `${b.health ?? '?'}${b.reason ? `: ${b.reason}` : ''}`;
    li.append(dot, h('span', '', b.id), h('span', 'muted', addr(b)));
    const share = t.ring?.[b.id];
    if (typeof share === 'number') {
      const el = h('span', 'muted', `${(share * 100).toFixed(1)} % of keys`);
      el.dataset.testid = 'ring-share';
      li.append(el);
    }
    if (!b.up)
      li.append(
        h('span', `health-${b.health === 'unknown' ? 'unknown' : 'down'}`, b.reason ?? b.health ?? 'down'),
      );
    if (b.state === 'draining') li.append(h('span', 'warn', 'draining'));
    list.append(li);
  }
  if (total === 0) list.append(h('li', 'muted', 'no backends'));
  card.append(list);
  if (s.rejected) {
    // Without a definition (never valid) nothing serves; otherwise the last good one still does.
    const then = s.protocol ? 'the last good one serves' : 'not served';
    card.append(h('div', 'svc-problem', `definition rejected: ${s.rejected.message} — ${then}`));
  }
  if (BAD.has(s.listener?.phase)) card.classList.add('svc-bad');
  return card;
}

let lastKey = '';

/** Renders frame.self.services into #services; an older node publishes none (said so). */
export function renderServices(f, $) {
  const services = f.self?.services;
  // The second is part of the key: countdowns (retry in, closes within) move while nothing else does.
  const key = `${f.node}\u0000${Math.floor(Date.now() / 1000)}\u0000${JSON.stringify(services ?? null)}`;
  if (key === lastKey) return;
  lastKey = key;
  const note = $('services-note');
  if (!Array.isArray(services)) {
    $('services').replaceChildren(h('p', 'muted', `${f.node} does not publish services (older version)`));
    note.textContent = '';
    return;
  }
  $('services').replaceChildren(
    ...(services.length
      ? services.map(serviceCard)
      : [h('p', 'muted', 'no services besides the default one')]),
  );
  const bad = services.filter((s) => BAD.has(s.listener?.phase)).length;
  const notListening = services.filter((s) => s.listener?.phase !== 'listening').length;
  note.textContent = `${services.length} service${services.length === 1 ? '' : 's'} · ${notListening} not listening · listeners as ${f.node} runs them`;
  note.className = bad > 0 ? 'warn' : 'muted';
}
