// Plain aligned columns, the kubectl way: upper-case headers, two spaces between columns,
// no trailing spaces, nothing that breaks `grep` or `awk`.

/** Renders rows under headers; every line ends with "\n". Cells are shown as given. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    headers
      .map((_, i) => {
        const cell = cells[i] ?? '';
        return i === headers.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** "key  value" lines with the keys aligned (config get, leader resign). */
export function renderPairs(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd() + '\n').join('');
}

/** `-` for absent values, so every column has something to line up. */
export const dash = (v: string | number | null | undefined): string =>
  v === undefined || v === null || v === '' ? '-' : String(v);

/** host:port, with IPv6 hosts in brackets. */
export const hostPort = (host: string, port: number | string): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
