// bench-results/proxies.svg: hand-written SVG, no dependencies. Three panels:
// throughput per proxy (bars, with the 0.9 × bare target line), latency at saturation
// (p50 and p99, log scale) and latency at half load (p50 and p99, log scale).

const W = 960;
const LABEL = 250; // left column for names
const PLOT = 560;
const ROW = 26;
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function colour(key) {
  if (key === 'direct') return '#9aa0a6';
  if (key.startsWith('bare')) return '#4285f4';
  if (key.startsWith('ringleader')) return '#f29900';
  return '#34a853'; // HAProxy, nginx
}

function text(x, y, s, o = {}) {
  const a = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    o.anchor ? `text-anchor="${o.anchor}"` : '',
    o.size ? `font-size="${o.size}"` : '',
    o.weight ? `font-weight="${o.weight}"` : '',
    o.fill ? `fill="${o.fill}"` : '',
  ];
  return `<text ${a.filter(Boolean).join(' ')}>${esc(s)}</text>`;
}

/** Panel of horizontal bars, linear scale. rows: [{ key, label, value, note }]. */
function barPanel(y0, title, rows, { unit, marker }) {
  const out = [text(16, y0 + 18, title, { size: 15, weight: 'bold' })];
  const top = y0 + (marker ? 48 : 32);
  const max = Math.max(...rows.map((r) => r.value), marker?.value ?? 0) * 1.08 || 1;
  const x = (v) => LABEL + (v / max) * PLOT;
  const ticks = niceTicks(max);
  for (const t of ticks) {
    out.push(
      `<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${top + rows.length * ROW}" stroke="#e0e0e0"/>`,
    );
    out.push(
      text(x(t), top + rows.length * ROW + 14, t.toLocaleString('en-US'), {
        anchor: 'middle',
        size: 11,
        fill: '#555',
      }),
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * ROW;
    out.push(text(LABEL - 8, y + 16, r.label, { anchor: 'end', size: 12 }));
    out.push(
      `<rect x="${LABEL}" y="${y + 4}" width="${Math.max(1, x(r.value) - LABEL).toFixed(1)}" height="${ROW - 8}" fill="${colour(r.key)}"/>`,
    );
    out.push(
      text(
        x(r.value) + 6,
        y + 16,
        `${Math.round(r.value).toLocaleString('en-US')}${unit ? ` ${unit}` : ''}${r.note ? `  ${r.note}` : ''}`,
        { size: 11 },
      ),
    );
  });
  if (marker) {
    const mx = x(marker.value);
    out.push(
      `<line x1="${mx}" y1="${top - 6}" x2="${mx}" y2="${top + rows.length * ROW}" stroke="#d93025" stroke-dasharray="5,4" stroke-width="1.5"/>`,
    );
    out.push(text(mx + 4, top - 8, marker.label, { size: 11, fill: '#d93025' }));
  }
  return { svg: out.join('\n'), height: top - y0 + rows.length * ROW + 26 };
}

/** Panel of p50/p99 pairs per row, log scale in ms. rows: [{ key, label, p50, p99 }] (ms). */
function latencyPanel(y0, title, rows) {
  const out = [text(16, y0 + 18, title, { size: 15, weight: 'bold' })];
  const top = y0 + 32;
  const vals = rows.flatMap((r) => [r.p50, r.p99]).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...vals)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...vals)));
  const x = (v) =>
    LABEL + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT;
  for (let t = lo; t <= hi * 1.001; t *= 10) {
    out.push(
      `<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${top + rows.length * ROW}" stroke="#e0e0e0"/>`,
    );
    out.push(
      text(x(t), top + rows.length * ROW + 14, `${t >= 1 ? t : t.toFixed(Math.round(-Math.log10(t)))} ms`, {
        anchor: 'middle',
        size: 11,
        fill: '#555',
      }),
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * ROW;
    out.push(text(LABEL - 8, y + 16, r.label, { anchor: 'end', size: 12 }));
    out.push(
      `<rect x="${LABEL}" y="${y + 3}" width="${Math.max(1, x(r.p99) - LABEL).toFixed(1)}" height="${(ROW - 6) / 2}" fill="${colour(r.key)}" opacity="0.45"/>`,
    );
    out.push(
      `<rect x="${LABEL}" y="${y + 3 + (ROW - 6) / 2}" width="${Math.max(1, x(r.p50) - LABEL).toFixed(1)}" height="${(ROW - 6) / 2}" fill="${colour(r.key)}"/>`,
    );
    out.push(
      text(x(r.p99) + 6, y + 16, `p50 ${r.p50.toFixed(2)} · p99 ${r.p99.toFixed(2)} ms`, { size: 11 }),
    );
  });
  return { svg: out.join('\n'), height: 32 + rows.length * ROW + 26 };
}

function niceTicks(max) {
  const step0 = max / 5;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? mag * 10;
  const ticks = [];
  for (let t = 0; t <= max; t += step) ticks.push(t);
  return ticks;
}

/** The chart from a proxy result (proxy-bench.mjs) and a one-line caption. */
export function proxiesSvg(r, caption) {
  const parts = [];
  let y = 40;
  const bare = r.throughput.find((x) => x.key === 'bare');
  const a = barPanel(
    y,
    `Throughput, req/s (best of ${r.setup.rounds} rounds of ${r.setup.sliceS} s, ${r.setup.connections} connections, keep-alive)`,
    r.throughput.map((x) => ({
      key: x.key,
      label: x.label,
      value: x.rps,
      note: x.key === 'direct' || x.key === 'bare' ? '' : `${x.vsBare.toFixed(2)}× bare`,
    })),
    { unit: 'req/s', marker: bare ? { value: 0.9 * bare.rps, label: 'target: 0.9 × bare' } : undefined },
  );
  parts.push(a.svg);
  y += a.height + 16;
  if (r.throughput.every((x) => x.capacityRps)) {
    // The proxies' own CPU cost: the figure other processes on the machine disturb least.
    const cap = barPanel(
      y,
      'Requests per CPU-second of the proxy (1 / CPU time per request; less disturbed by other load)',
      r.throughput
        .filter((x) => x.key !== 'direct') // a backend, not a proxy
        .map((x) => ({
          key: x.key,
          label: x.label,
          value: x.capacityRps,
          note: x.key === 'bare' ? '' : `${x.capacityVsBare.toFixed(2)}× bare`,
        })),
      { unit: '', marker: bare ? { value: 0.9 * bare.capacityRps, label: 'target: 0.9 × bare' } : undefined },
    );
    parts.push(cap.svg);
    y += cap.height + 16;
  }
  const b = latencyPanel(
    y,
    'Latency at saturation, ms (log scale; light bar p99, dark bar p50)',
    r.throughput.map((x) => ({
      key: x.key,
      label: x.label,
      p50: x.latencyUs.p50 / 1000,
      p99: x.latencyUs.p99 / 1000,
    })),
  );
  parts.push(b.svg);
  y += b.height + 16;
  const c = latencyPanel(
    y,
    `Latency at half load (${r.halfLoad.rate} req/s, open loop), ms (log scale)`,
    r.halfLoad.rows.map((x) => ({
      key: x.key,
      label: x.label,
      p50: x.latencyUs.p50 / 1000,
      p99: x.latencyUs.p99 / 1000,
    })),
  );
  parts.push(c.svg);
  y += c.height + 10;
  const H = y + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
${text(16, 24, 'ringleader proxy benchmark', { size: 18, weight: 'bold' })}
${parts.join('\n')}
${text(16, H - 10, caption, { size: 11, fill: '#555' })}
</svg>
`;
}
