// The ringleader dashboard: renders `cluster` frames from a node's /events stream (see
// packages/node/src/control/dashboard/). Plain ES modules, no framework and no build step; every
// value from the server goes into the page through textContent, never as HTML.
import { renderOutage, renderPill, renderRejected } from './alerts.js';
import { Connection } from './connection.js';
import { h } from './dom.js';
import { colorFor, drawChart, drawRing, ringArcs, setPalette, weightArcs } from './draw.js';
import { renderServices } from './services.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'ringleader.adminToken';

const state = {
  frame: null,
  base: location.origin,
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  lastEventsKey: '',
  paletteKey: '',
  /** The frame's `at` and when it arrived here (Date.now()), for elapsed times and staleness. */
  frameAt: 0,
  receivedAt: 0,
};

/** ?static=1: one frame, no stream, so `chromium --headless --screenshot` can finish. */
const STATIC = new URLSearchParams(location.search).get('static') === '1';
/** A frame comes at least once a second; older than this and the pill says stale. */
const STALE_MS = 2500;

function fmtTime(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

/**
 * A routing snapshot version is a ZooKeeper zxid (the pZxid of backends/ or a child's mzxid):
 * shown in hex as zkCli.sh's `stat` prints it (4294967307 → 0x10000000b), so an operator can
 * match it against ZooKeeper. 0 (no membership read yet) stays 0.
 */
export function fmtVersion(v) {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? `0x${v.toString(16)}` : String(v ?? '—');
}

/** Policies whose picks ignore weights (weight 0 still takes a backend out). */
const IGNORES_WEIGHT = new Set(['round-robin']);

/** The frame's time translated to this browser's clock (the node's clock may differ). */
function serverNow() {
  return state.frameAt + (Date.now() - state.receivedAt);
}

// ------------------------------------------------------------------ notices and actions
let noticeTimer = 0;
function notice(kind, text) {
  const n = $('notice');
  n.className = `notice notice-${kind}`;
  n.textContent = text;
  n.hidden = false;
  clearTimeout(noticeTimer);
  if (kind !== 'error') noticeTimer = setTimeout(() => (n.hidden = true), 6000);
}

/** POSTs an admin action after a confirm(); the token goes along when one was entered. */
async function act(url, label) {
  if (!window.confirm(`${label}?`)) return;
  const headers = state.token ? { authorization: `Bearer ${state.token}` } : {};
  try {
    const res = await fetch(url, { method: 'POST', headers, mode: 'cors' });
    const body = await res.json().catch(() => ({}));
    if (res.status === 401) {
      notice(
        'error',
        `${label}: refused — this cluster requires the admin token. ` +
          (state.token ? 'The token entered is wrong.' : 'Enter it in the "admin token" field above.'),
      );
      $('token').focus();
    } else if (!res.ok) notice('error', `${label} failed: ${body.message ?? `HTTP ${res.status}`}`);
    else if (body.resigned === false) notice('warn', `${label}: not done — ${body.reason}`);
    else notice('ok', `${label}: done`);
  } catch (err) {
    notice('error', `${label} failed: ${err.message} (${url})`);
  }
}

$('token').value = state.token;
$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = $('token').value.trim();
  if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
  else sessionStorage.removeItem(TOKEN_KEY);
  renderToken();
});

function renderToken() {
  const required = state.frame?.tokenRequired;
  $('token-state').textContent = state.token ? 'saved for this tab' : required ? 'required for actions' : '';
  $('token-form').classList.toggle('token-needed', Boolean(required && !state.token));
}

// ------------------------------------------------------------------ nodes
/** The most common value among reachable nodes; a node that differs is highlighted. */
function majority(values) {
  const count = new Map();
  for (const v of values) count.set(v, (count.get(v) ?? 0) + 1);
  let best;
  let n = 0;
  for (const [v, c] of count) if (c > n) [best, n] = [v, c];
  return best;
}

function row(dl, label, value, cls = '') {
  dl.append(h('dt', '', label), h('dd', cls, value));
}

function renderNodes(f) {
  const live = f.nodes.filter((n) => n.reachable && n.status);
  const version = majority(live.map((n) => n.status.snapshotVersion));
  // Compared, not inferred: each node publishes the fingerprint of the routing config it uses.
  const fingerprint = majority(
    live.filter((n) => n.status.configSource !== 'unknown').map((n) => n.status.configFingerprint),
  );
  const epoch = majority(live.map((n) => n.status.epoch));
  const leaders = live.filter((n) => n.status.role === 'leader');
  const cards = f.nodes.map((n) => {
    const s = n.status;
    const isLeader = n.reachable && s?.role === 'leader';
    // In active-active every node serves: a serving non-leader is a peer, not a standby.
    const isPeer = n.reachable && s && !isLeader && s.serving;
    const card = h('article', `card ${isLeader ? 'card-leader' : ''} ${n.reachable ? '' : 'card-down'}`);
    card.dataset.testid = 'node-card';
    card.dataset.nodeId = n.id;
    const head = h('div', 'card-head');
    head.append(h('span', 'node-id', n.id));
    if (isLeader) {
      const badge = h('span', 'badge badge-leader', 'LEADER');
      badge.dataset.testid = 'leader-badge';
      head.append(badge);
    } else if (isPeer) {
      const badge = h('span', 'badge badge-peer', 'SERVING PEER');
      badge.dataset.testid = 'peer-badge';
      head.append(badge);
    } else if (n.reachable && s) head.append(h('span', `badge badge-${s.role}`, s.role.toUpperCase()));
    if (!n.reachable) head.append(h('span', 'badge badge-down', n.error ? 'UNREACHABLE' : 'CHECKING'));
    if (n.id === f.node) head.append(h('span', 'badge badge-view', 'viewing'));
    card.append(head);
    if (!n.reachable && s) card.append(h('div', 'stale-note', `last known, ${ago(n.lastSeen ?? s.at)}:`));
    const dl = h('dl', 'facts');
    if (s) {
      row(dl, 'epoch', s.epoch ?? '—', s.epoch !== epoch && n.reachable ? 'disagree' : '');
      row(dl, 'session', s.session, s.session === 'connected' ? 'ok' : 'warn');
      row(
        dl,
        'snapshot',
        fmtVersion(s.snapshotVersion),
        s.snapshotVersion !== version && n.reachable ? 'disagree' : '',
      );
      const unknown = s.configSource === 'unknown';
      row(
        dl,
        'policy',
        unknown
          ? 'config unknown: not serving'
          : `${s.policy}${s.hash ? ` ${s.hash}` : ''} · ${s.configFingerprint ?? '?'} (${s.configSource ?? '?'})`,
        unknown || (s.configFingerprint !== fingerprint && n.reachable) ? 'disagree' : '',
      );
      // A node that does not answer serves nothing we can see: never "yes" from a last summary.
      if (n.reachable) row(dl, 'serving', s.serving ? 'yes' : 'no', s.serving ? 'ok' : '');
      else row(dl, 'serving', `unknown (was ${s.serving ? 'yes' : 'no'})`, 'warn');
      row(dl, 'req/s', n.reachable ? s.rps : '—');
      row(dl, 'lifecycle', s.lifecycle, s.lifecycle === 'running' ? '' : 'warn');
    }
    row(
      dl,
      'election',
      n.electionRank === null
        ? 'not queued'
        : n.electionRank === 0
          ? '1st (leads)'
          : `#${n.electionRank + 1}`,
    );
    card.append(dl);
    const foot = h('div', 'card-foot');
    if (!n.reachable) foot.append(h('span', 'warn', n.error ? `no answer: ${n.error}` : 'not polled yet'));
    if (!n.registered) foot.append(h('span', 'warn', 'not registered in ZooKeeper'));
    if (n.adminUrl) foot.append(h('span', 'muted url', n.adminUrl));
    if (isLeader && n.adminUrl) {
      const b = h('button', 'btn btn-danger', 'resign leadership');
      b.dataset.testid = 'resign';
      b.addEventListener('click', () => act(`${n.adminUrl}/leader/resign`, `Resign leadership of ${n.id}`));
      foot.append(b);
    }
    card.append(foot);
    return card;
  });
  $('nodes').replaceChildren(...cards);
  const zk = f.zk;
  const notes = [];
  if (!zk.ok) notes.push(`ZooKeeper not readable from ${f.node}: ${zk.error} — last known registry shown`);
  if (leaders.length > 1) notes.push(`${leaders.length} nodes claim leadership!`);
  // The leader znode outlives a killed leader until its session expires: say it does not answer.
  const named = zk.leader ? f.nodes.find((n) => n.id === zk.leader.id) : undefined;
  const ghost = zk.leader && !(named?.reachable && named.status?.role === 'leader');
  if (zk.leader)
    notes.push(
      `leader znode: ${zk.leader.id}, epoch ${zk.leader.epoch}${ghost ? ` — ${zk.leader.id} does not answer as leader (its ZooKeeper session has not expired yet)` : ''}`,
    );
  else notes.push('no leader znode');
  $('zk-note').textContent = notes.join(' · ');
  $('zk-note').className = !zk.ok || leaders.length > 1 || ghost ? 'warn' : 'muted';
}

// ------------------------------------------------------------------ backends
const rows = new Map();

function backendRow(id) {
  let r = rows.get(id);
  if (r) return r;
  const tr = h('tr');
  tr.dataset.backend = id;
  const cells = {};
  for (const k of ['id', 'addr', 'health', 'weight', 'state', 'ewma', 'inflight', 'share', 'action']) {
    cells[k] = h('td', ['weight', 'ewma', 'inflight'].includes(k) ? 'num' : '');
    tr.append(cells[k]);
  }
  const sw = h('span', 'swatch');
  sw.style.background = colorFor(id);
  cells.id.append(sw, h('span', '', id));
  cells.bar = h('span', 'bar');
  cells.barFill = h('span', 'bar-fill');
  cells.bar.append(cells.barFill);
  cells.shareText = h('span', 'share-text');
  cells.share.append(cells.bar, cells.shareText);
  cells.btn = h('button', 'btn');
  cells.btn.addEventListener('click', () => {
    const verb = cells.btn.dataset.verb;
    act(
      `${state.base}/backends/${encodeURIComponent(id)}/${verb}`,
      `${verb === 'drain' ? 'Drain' : 'Undrain'} backend ${id}`,
    );
  });
  cells.readOnly = h('span', 'read-only', 'read-only');
  cells.readOnly.hidden = true;
  cells.readOnly.dataset.testid = 'read-only';
  cells.action.append(cells.btn, cells.readOnly);
  cells.healthText = h('span', '');
  cells.reason = h('span', 'health-reason');
  cells.reason.dataset.testid = 'health-reason';
  cells.health.append(cells.healthText, cells.reason);
  r = { tr, cells };
  rows.set(id, r);
  return r;
}

function setText(node, text) {
  const t = String(text);
  if (node.textContent !== t) node.textContent = t;
}

/** "ServerSet DEAD" / "Curator disabled": the owning tool's own word for the state. */
function foreignStatus(b) {
  const m = /\(ServerSet status (\w+)/.exec(b.readOnly ?? '');
  if (m) return `ServerSet ${m[1]}`;
  return `${b.format ?? 'foreign'} payload`;
}

function renderBackends(f) {
  const tbody = $('backends').tBodies[0];
  const policy = f.self.snapshot.policy;
  const weightIgnored = IGNORES_WEIGHT.has(policy);
  const seen = new Set();
  const order = [];
  for (const b of f.backends) {
    seen.add(b.id);
    const { tr, cells } = backendRow(b.id);
    setText(cells.addr, `${b.host}:${b.port}`);
    const upText = b.seenBy > 1 ? ` (${b.upOn}/${b.seenBy} nodes)` : '';
    setText(cells.healthText, `${b.health}${upText}`);
    // Why it is not up (the last check's failure), not only that it is down.
    setText(cells.reason, !b.up && b.reason ? b.reason : '');
    cells.health.title = b.reason ?? '';
    cells.health.className = `health health-${b.up ? 'up' : b.health}`;
    setText(cells.weight, b.weight);
    const ignored = weightIgnored && b.weight > 0;
    cells.weight.className = `num${ignored ? ' weight-ignored' : ''}`;
    cells.weight.title = ignored
      ? `policy ${policy} ignores weights: every backend of weight > 0 gets an equal share`
      : '';
    const status = b.readOnly ? foreignStatus(b) : '';
    setText(cells.state, status ? `${b.state} (${status})` : b.state);
    cells.state.className = b.state === 'draining' ? 'warn' : '';
    setText(cells.ewma, b.ewmaMs === null ? '—' : `${b.ewmaMs.toFixed(1)} ms`);
    setText(cells.inflight, b.inFlight);
    cells.barFill.style.width = `${(b.share * 100).toFixed(1)}%`;
    cells.barFill.style.background = colorFor(b.id);
    setText(cells.shareText, `${(b.share * 100).toFixed(1)}% · ${b.requests60s}`);
    const verb = b.state === 'draining' ? 'undrain' : 'drain';
    cells.btn.dataset.verb = verb;
    setText(cells.btn, verb);
    // Another tool owns a foreign payload (RL_ZK_FOREIGN_PAYLOAD): a button that cannot work is not offered.
    cells.btn.hidden = Boolean(b.readOnly);
    cells.readOnly.hidden = !b.readOnly;
    cells.readOnly.title = b.readOnly ?? '';
    order.push(tr);
  }
  for (const [id, r] of rows)
    if (!seen.has(id)) {
      r.tr.remove();
      rows.delete(id);
    }
  order.forEach((tr, i) => {
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
  });
  const down = f.backends.filter((b) => !b.up).length;
  const draining = f.backends.filter((b) => b.state === 'draining').length;
  const weighted = f.backends.some((b) => b.weight > 1);
  const hint =
    weightIgnored && weighted
      ? ` · weights ignored: policy ${policy} gives every backend of weight > 0 an equal share`
      : '';
  $('backends-note').textContent =
    `${f.backends.length} backends · ${down} not up · ${draining} draining · health as ${f.node} sees it${hint}`;
  $('backends-note').className = hint ? 'warn' : 'muted';
  $('backends-note').dataset.testid = 'backends-note';
}

// ------------------------------------------------------------------ ring, chart, events
function renderRing(f) {
  const down = new Set(f.backends.filter((b) => !b.up || b.state === 'draining').map((b) => b.id));
  const policy = f.self.snapshot.policy;
  let arcs;
  if (f.ring) {
    arcs = ringArcs(f.ring.points);
    drawRing($('ring'), arcs, {
      down,
      center: policy,
      sub: `${f.ring.points.length} of ${f.ring.size} points`,
    });
    $('ring-note').textContent = `snapshot ${fmtVersion(f.self.snapshot.version)}`;
  } else {
    arcs = weightArcs(f.backends);
    drawRing($('ring'), arcs, { down, center: policy, sub: 'no ring: weights shown' });
    $('ring-note').textContent = `policy ${policy} has no hash ring`;
  }
  const byId = new Map();
  for (const a of arcs) byId.set(a.id, (byId.get(a.id) ?? 0) + (a.to - a.from));
  const top = [...byId].sort((a, b) => b[1] - a[1]).slice(0, 10);
  const items = top.map(([id, frac]) => {
    const li = h('li', down.has(id) ? 'faded' : '');
    const sw = h('span', 'swatch');
    sw.style.background = colorFor(id);
    li.append(sw, h('span', '', id), h('span', 'muted', `${(frac * 100).toFixed(1)}%`));
    return li;
  });
  if (byId.size > top.length) items.push(h('li', 'muted', `… ${byId.size - top.length} more`));
  $('ring-legend').replaceChildren(...items);
}

function renderChart(f) {
  drawChart($('chart'), f.series);
  const last = (a) => a.slice(-5).reduce((s, v) => s + v, 0) / Math.max(1, Math.min(5, a.length));
  const req = last(f.series.req);
  const err = last(f.series.err);
  // Not-leader refusals (a standby in reject mode) are not traffic served: apart, not in 5xx.
  const refused = f.series.refused ? last(f.series.refused) : 0;
  $('chart-note').textContent =
    `${req.toFixed(1)} req/s · ${err.toFixed(1)} 5xx/s${refused > 0 ? ` · ${refused.toFixed(1)} refused by non-serving nodes/s` : ''} (5 s avg) · summed over ${f.series.nodes} node(s)`;
}

function renderEvents(f) {
  const evs = f.events;
  const key = evs.length ? `${evs.length}:${evs[evs.length - 1].node}:${evs[evs.length - 1].seq}` : '0';
  if (key === state.lastEventsKey) return;
  state.lastEventsKey = key;
  const items = [...evs].reverse().map((e) => {
    const li = h('li', `ev ev-${e.level}`);
    li.append(
      h('time', 'ev-time', fmtTime(e.at)),
      h('span', 'ev-node', e.node),
      h('span', `ev-kind kind-${e.kind}`, e.kind),
      h('span', 'ev-text', e.text),
    );
    return li;
  });
  $('events').replaceChildren(...items);
}

// ------------------------------------------------------------------ wiring
function render(f) {
  state.frame = f;
  state.frameAt = f.at;
  state.receivedAt = Date.now();
  const ids = f.backends.map((b) => b.id);
  if (ids.join('\u0000') !== state.paletteKey) {
    state.paletteKey = ids.join('\u0000');
    setPalette([...ids, ...(f.ring?.points ?? []).map((p) => p[1])]);
  }
  $('cluster').textContent = `cluster ${f.self.node.cluster} · ${f.self.node.mode}`;
  renderOutage($('outage'), f, serverNow());
  renderNodes(f);
  renderBackends(f);
  renderRejected($, f);
  renderServices(f, $);
  renderRing(f);
  renderChart(f);
  renderEvents(f);
  renderToken();
}

/** The connection as last reported, redrawn with staleness by the ticker. */
const pill = { kind: 'connecting', base: location.origin, detail: '' };

function drawPill() {
  const zk = state.frame?.zk;
  pill.zkNote = zk && !zk.ok ? ` · ZooKeeper unreadable from ${state.frame.node}` : '';
  const kind = renderPill($('conn'), pill, state.receivedAt, Date.now(), STALE_MS);
  document.body.classList.toggle('stale', kind !== 'connected' && kind !== 'static');
}

/** Once a second between frames: the banner's count and the pill's staleness move on their own. */
function tick() {
  if (state.frame) renderOutage($('outage'), state.frame, serverNow());
  drawPill();
}

if (STATIC) {
  // One frame and done: no EventSource and no timers, so a headless
  // `chromium --screenshot --virtual-time-budget=…` sees the page settle and can finish.
  fetch(`${location.origin}/dashboard/frame.json`)
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`HTTP ${res.status}`))))
    .then((frame) => {
      render(frame);
      Object.assign(pill, { kind: 'static', detail: frame.node });
      drawPill();
    })
    .catch((err) => {
      Object.assign(pill, { kind: 'lost', detail: err.message });
      drawPill();
    });
} else {
  const conn = new Connection({
    start: location.origin,
    onFrame(frame, base) {
      state.base = base;
      // Nodes that answered first, the leader before them: the order to try after a failure.
      const urls = [...frame.nodes]
        .sort((a, b) => Number(b.reachable) - Number(a.reachable))
        .map((n) => n.adminUrl);
      conn.learn(urls);
      render(frame);
      drawPill();
    },
    onState(s) {
      Object.assign(pill, { kind: s.kind, base: s.base, detail: s.detail ?? '' });
      drawPill();
    },
  });
  conn.start();
  setInterval(tick, 1000);
}
