#!/usr/bin/env node
// Container health check of an LB node: GET <path> (default /healthz) on the node's admin
// listener, found in RINGLEADER_ADMIN_LISTEN like the node finds it (default 127.0.0.1:9090;
// 0.0.0.0 and :: are asked on loopback). Exit 0 on 200, 1 otherwise. No curl in slim images.
//   node deploy/docker/healthcheck.mjs            # liveness: the process answers
//   node deploy/docker/healthcheck.mjs /readyz    # 200 only where the node proxies (the leader)
const path = process.argv[2] ?? '/healthz';
const listen = (process.env.RINGLEADER_ADMIN_LISTEN || '127.0.0.1:9090').trim();
const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(listen);
if (!m) {
  console.error(`healthcheck: cannot read RINGLEADER_ADMIN_LISTEN=${listen}`);
  process.exit(1);
}
let host = m[1] ?? m[2] ?? '';
if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
else if (host === '::') host = '[::1]';
else if (host.includes(':')) host = `[${host}]`;
const url = `http://${host}:${m[3]}${path}`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (res.status !== 200) console.error(`healthcheck: ${url} answered ${res.status}`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
  process.exit(1);
}
