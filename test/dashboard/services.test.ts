// The dashboard's Services panel in real headless Chromium (see dashboard.test.ts for the
// binary and flags), in two ways:
// - live: a real node on real ZooKeeper runs a tcp service that listens and one whose port the
//   test holds (bind-failed), with a rejected service znode and a rejected service backend;
// - recorded: a frame taken from that node's GET /dashboard/frame.json, its `self.services` set
//   to every listener phase, replayed to the page over SSE from a plain HTTP server here, so the
//   panel's badges are checked for phases a live node cannot be held in on demand (draining,
//   unsupported).
// Needs the built code (`npx tsc -b`).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalCluster, startLocalCluster } from '@ringleader/launcher';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.RINGLEADER_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const ASSETS = join(ROOT, 'packages/node/dashboard');
const HOST = '127.0.0.1';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const haveChromium = existsSync(CHROMIUM);

function listen(server: Server | HttpServer, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    });
  });
}

const close = (server: Server | HttpServer | undefined) =>
  new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

/** The text of the listener badge and detail of one service card. */
async function card(page: Page, name: string) {
  const c = page.locator(`[data-testid=service][data-service="${name}"]`);
  return {
    phase: await c.getAttribute('data-phase'),
    badge: await c.locator('[data-testid=listener-badge]').textContent(),
    badgeClass: await c.locator('[data-testid=listener-badge]').getAttribute('class'),
    detail: (await c.locator('[data-testid=listener-detail]').count())
      ? await c.locator('[data-testid=listener-detail]').textContent()
      : null,
    text: await c.textContent(),
  };
}

describe.skipIf(!haveChromium)('dashboard Services panel in headless Chromium', () => {
  let c: LocalCluster;
  let browser: Browser;
  let echo: Server;
  let holder: Server;
  let listenPort: number;
  let heldPort: number;
  const root = () => `/ringleader/${c.cluster}/services`;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    const echoPort = await listen(echo);
    holder = createServer();
    heldPort = await listen(holder);
    listenPort = await freePort();
    c = await startLocalCluster({ nodes: 1, backends: 1, nodeEnv: { RINGLEADER_SERVICE_HOST: HOST } });
    const check = { kind: 'tcp', intervalMs: 300, timeoutMs: 300, rise: 1, fall: 1 };
    await c.session.mkdirp(`${root()}/echo/backends`);
    await c.session.setData(
      `${root()}/echo`,
      JSON.stringify({ protocol: 'tcp', listen: listenPort, policy: 'round-robin', healthCheck: check }),
    );
    await c.session.create(`${root()}/echo/backends/e1`, JSON.stringify({ host: HOST, port: echoPort }));
    await c.session.create(`${root()}/echo/backends/bad`, '{"host": ');
    await c.session.create(
      `${root()}/held`,
      JSON.stringify({ protocol: 'tcp', listen: heldPort, policy: 'round-robin', healthCheck: check }),
    );
    await c.session.create(`${root()}/broken`, 'not json');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await c?.stop();
    await close(echo);
    await close(holder);
  }, 60_000);

  it('shows a listening tcp service, a bind-failed one and what ZooKeeper holds that was rejected', async () => {
    const node = c.nodes[0]!;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${node.adminUrl}/`);
    await expect.poll(async () => (await card(page, 'echo')).phase, { timeout: 15_000 }).toBe('listening');
    await expect.poll(async () => (await card(page, 'held')).phase, { timeout: 15_000 }).toBe('bind-failed');
    const echo = await card(page, 'echo');
    expect(echo.badge).toBe('LISTENING');
    expect(echo.text).toContain(`${HOST}:${listenPort}`);
    await expect.poll(async () => (await card(page, 'echo')).text, { timeout: 10_000 }).toContain('1/1 up');
    const held = await card(page, 'held');
    expect(held.badgeClass).toContain('phase-bad');
    expect(held.detail).toContain(`${heldPort}`);
    expect(held.detail).toContain('retrying');
    const rejected = page.locator('[data-testid=rejected]');
    await expect.poll(() => rejected.isVisible(), { timeout: 10_000 }).toBe(true);
    const table = await rejected.textContent();
    expect(table).toContain(`${root()}/broken`);
    expect(table).toContain(`${root()}/echo/backends/bad`);
    // Never valid: nothing serves it (no "last good" to fall back on).
    expect((await card(page, 'broken')).text).toContain('— not served');
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-services.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('shows every listener phase from a recorded frame: red for bind-failed/unsupported, amber for draining/not-opened', async () => {
    const node = c.nodes[0]!;
    const frame = (await (await fetch(`${node.adminUrl}/dashboard/frame.json`)).json()) as {
      self: Record<string, unknown>;
      rejected?: unknown;
    };
    // As from a node too old to publish `rejected`: the panel is built from self.services.
    delete frame.rejected;
    const now = Date.now();
    const svc = (name: string, listener: object, extra: object = {}) => ({
      name,
      protocol: 'tcp',
      listen: { host: HOST, port: 7000 + name.length },
      listener,
      policy: 'round-robin',
      hash: null,
      check: 'tcp',
      fingerprint: 'abcd1234',
      snapshot: { version: 3, backends: 2 },
      rejected: null,
      backends: [
        { id: `${name}-a`, host: '10.0.0.1', port: 6379, weight: 1, state: 'active', health: 'up', up: true },
        {
          id: `${name}-b`,
          host: '10.0.0.2',
          port: 6379,
          weight: 1,
          state: 'active',
          health: 'down',
          up: false,
        },
      ],
      rejectedBackends: [],
      traffic: { open: 4, total: 90, bytesIn: 12_345, bytesOut: 2_500_000, refused: 0 },
      ...extra,
    });
    frame.self.services = [
      svc('cache', { phase: 'listening', host: HOST, port: 7005, since: now }),
      svc('held', {
        phase: 'bind-failed',
        attempt: 2,
        code: 'EADDRINUSE',
        message: 'cannot listen on 127.0.0.1:6380: address already in use',
        retryAt: now + 60_000,
      }),
      svc('kv', { phase: 'unsupported', message: 'protocol redis is not served by this node version' }),
      svc('old', { phase: 'draining', until: now + 30_000 }),
      svc(
        'clash',
        { phase: 'not-opened', message: 'port taken by service cache' },
        {
          rejected: {
            code: 'RL_SERVICE_INVALID',
            message: 'listen must be a port',
            path: '/r/services/clash',
          },
        },
      ),
    ];
    const body = JSON.stringify(frame);
    const replay = createHttpServer((req, res) => {
      if (req.url === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const send = () => res.write(`event: cluster\ndata: ${body}\n\n`);
        send();
        const t = setInterval(send, 500);
        req.on('close', () => clearInterval(t));
        return;
      }
      const file =
        req.url === '/' ? 'index.html' : /^\/dashboard\/([a-z0-9-]+\.(?:js|css))$/.exec(req.url ?? '')?.[1];
      if (file === undefined || !existsSync(join(ASSETS, file))) return void res.writeHead(404).end();
      const type = file.endsWith('.js')
        ? 'text/javascript'
        : file.endsWith('.css')
          ? 'text/css'
          : 'text/html';
      res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(readFileSync(join(ASSETS, file)));
    });
    const port = await listen(replay);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`http://${HOST}:${port}/`);
      await expect.poll(() => page.locator('[data-testid=service]').count(), { timeout: 10_000 }).toBe(5);
      const want: Record<string, [string, string, RegExp | null]> = {
        cache: ['LISTENING', 'phase-ok', null],
        held: [
          'BIND-FAILED',
          'phase-bad',
          /^cannot listen on 127\.0\.0\.1:6380: address already in use; retrying in \d+ s \(attempt 2\)$/,
        ],
        kv: ['UNSUPPORTED', 'phase-bad', /^protocol redis is not served by this node version$/],
        old: ['DRAINING', 'phase-warn', /^closes within \d+ s$/],
        clash: ['NOT-OPENED', 'phase-warn', /^port taken by service cache$/],
      };
      for (const [name, [badge, cls, detail]] of Object.entries(want)) {
        const got = await card(page, name);
        expect(got.badge, name).toBe(badge);
        expect(got.badgeClass, name).toContain(cls);
        if (detail === null) expect(got.detail, name).toBeNull();
        else expect(got.detail, name).toMatch(detail);
      }
      const cache = await card(page, 'cache');
      expect(cache.text).toContain('1/2 up');
      expect(cache.text).toContain('12.3 kB in · 2.5 MB out');
      const dots = page.locator('[data-service="cache"] .dot');
      expect(
        await dots.evaluateAll((els) => els.map((e) => (e as unknown as { className: string }).className)),
      ).toEqual(['dot dot-up', 'dot dot-down']);
      const rejected = await page.locator('[data-testid=rejected] tbody').textContent();
      expect(rejected).toContain('/r/services/clash');
      expect(rejected).toContain('RL_SERVICE_INVALID');
      expect(rejected).toContain('listen must be a port');
      expect(errors).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-services-recorded.png'), fullPage: true });
    } finally {
      await page.close();
      replay.closeAllConnections();
      await close(replay);
    }
  }, 60_000);
});
