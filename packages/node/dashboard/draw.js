// Hand-written SVG drawing for the dashboard: the hash ring and the rate chart. No library:
// a few hundred arcs and two polylines are cheap to rebuild once a second.
const SVG = 'http://www.w3.org/2000/svg';
const TAU = Math.PI * 2;
const RING_SPAN = 2 ** 32;

const palette = new Map();

/**
 * Gives each backend a colour by its place in the sorted member list, stepping hues by the
 * golden angle so that neighbours differ; stable while membership is.
 */
export function setPalette(ids) {
  const sorted = [...new Set(ids)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  palette.clear();
  sorted.forEach((id, i) => {
    const hue = Math.round((i * 137.508 + 200) % 360);
    const light = 52 + (i % 3) * 8;
    palette.set(id, `hsl(${hue} 68% ${light}%)`);
  });
}

/** The backend's colour (an id not in the palette gets one from its hash). */
export function colorFor(id) {
  const known = palette.get(id);
  if (known) return known;
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return `hsl(${h % 360} 68% 58%)`;
}

export function el(name, attrs = {}, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function polar(cx, cy, r, frac) {
  const a = frac * TAU - Math.PI / 2;
  return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
}

/** An annulus sector from fraction a0 to a1 (clockwise from 12 o'clock). */
function sector(cx, cy, r0, r1, a0, a1) {
  if (a1 - a0 >= 0.9999) a1 = a0 + 0.9999;
  const large = a1 - a0 > 0.5 ? 1 : 0;
  const [x0, y0] = polar(cx, cy, r1, a0);
  const [x1, y1] = polar(cx, cy, r1, a1);
  const [x2, y2] = polar(cx, cy, r0, a1);
  const [x3, y3] = polar(cx, cy, r0, a0);
  const f = (n) => n.toFixed(2);
  return `M${f(x0)} ${f(y0)}A${r1} ${r1} 0 ${large} 1 ${f(x1)} ${f(y1)}L${f(x2)} ${f(y2)}A${r0} ${r0} 0 ${large} 0 ${f(x3)} ${f(y3)}Z`;
}

/**
 * Arcs of the ring: a point owns the arc from the previous point up to itself; runs of the same
 * owner are merged. Returns [{ id, from, to }] as fractions of the circle.
 */
export function ringArcs(points) {
  if (points.length === 0) return [];
  const arcs = [];
  const last = points[points.length - 1];
  let prev = last[0] - RING_SPAN; // the first point's arc wraps round from the last point
  for (const [p, id] of points) {
    const from = prev / RING_SPAN;
    const to = p / RING_SPAN;
    const tail = arcs[arcs.length - 1];
    if (tail && tail.id === id) tail.to = to;
    else arcs.push({ id, from, to });
    prev = p;
  }
  // The wrap-around arc starts below 0: split it so both pieces draw.
  const out = [];
  for (const a of arcs) {
    if (a.from < 0) {
      out.push({ id: a.id, from: 1 + a.from, to: 1 });
      if (a.to > 0) out.push({ id: a.id, from: 0, to: a.to });
    } else out.push(a);
  }
  return out;
}

/** Weight shares as arcs, for policies without a ring. */
export function weightArcs(backends) {
  const total = backends.reduce((s, b) => s + Math.max(0, b.weight), 0);
  if (total === 0) return [];
  let at = 0;
  return backends
    .filter((b) => b.weight > 0)
    .map((b) => {
      const from = at;
      at += b.weight / total;
      return { id: b.id, from, to: at };
    });
}

/** Draws arcs; `down` holds ids drawn faded (not eligible). */
export function drawRing(svg, arcs, { down = new Set(), center = '', sub = '' } = {}) {
  svg.replaceChildren();
  const cx = 120;
  const cy = 120;
  el('circle', { cx, cy, r: 96, class: 'ring-track' }, svg);
  const g = el('g', {}, svg);
  for (const a of arcs) {
    const path = el(
      'path',
      {
        d: sector(cx, cy, 78, 112, a.from, a.to),
        fill: colorFor(a.id),
        class: down.has(a.id) ? 'arc arc-down' : 'arc',
        'data-backend': a.id,
      },
      g,
    );
    el('title', {}, path).textContent = a.id;
  }
  el('text', { x: cx, y: cy - 4, class: 'ring-center' }, svg).textContent = center;
  el('text', { x: cx, y: cy + 16, class: 'ring-sub' }, svg).textContent = sub;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

/** Draws request and error rate lines: series { req: [], err: [] }, 1 s per point. */
export function drawChart(svg, series) {
  svg.replaceChildren();
  const W = 640;
  const H = 220;
  const L = 44;
  const R = 8;
  const T = 10;
  const B = 24;
  const req = series?.req ?? [];
  const err = series?.err ?? [];
  const n = Math.max(req.length, 2);
  const max = niceMax(Math.max(1, ...req));
  const x = (i) => L + (i / (n - 1)) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const yy = y(max * f);
    el('line', { x1: L, x2: W - R, y1: yy, y2: yy, class: 'grid-line' }, svg);
    const label = max * f >= 1000 ? `${(max * f) / 1000}k` : String(Math.round(max * f * 10) / 10);
    el('text', { x: L - 6, y: yy + 4, class: 'axis axis-y' }, svg).textContent = label;
  }
  const span = n - 1;
  for (let s = 0; s <= span; s += 60) {
    const xx = x(span - s);
    el('line', { x1: xx, x2: xx, y1: T, y2: H - B, class: 'grid-line grid-v' }, svg);
    const anchor = s === 0 ? 'end' : 'middle';
    el('text', { x: xx, y: H - 6, class: 'axis', 'text-anchor': anchor }, svg).textContent =
      s === 0 ? 'now' : `-${s / 60}m`;
  }
  const line = (values) => values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  if (req.length > 1) {
    el(
      'polygon',
      { points: `${x(0)},${y(0)} ${line(req)} ${x(req.length - 1)},${y(0)}`, class: 'area-req' },
      svg,
    );
    el('polyline', { points: line(req), class: 'line-req' }, svg);
  }
  if (err.length > 1) el('polyline', { points: line(err), class: 'line-err' }, svg);
}
