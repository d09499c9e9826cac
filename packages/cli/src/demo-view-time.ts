// Times as the demo prints them (its own module so both view modules use it without a cycle).

const two = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time with milliseconds: 17:20:05.123. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** 1840 → "1.84 s", 320 → "320 ms". */
export function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
