// What the dashboard tells an operator at 3 a.m., in real headless Chromium (see
// dashboard.test.ts for the binary and flags) against a real 2-node cluster on real ZooKeeper:
// - a backend without /healthz (a plain server answering 404) shows why it is down;
// - a ServerSet DEAD member is read-only (no drain/undrain button), with why;
// - weights set under round-robin are noted as ignored;
// - a malformed backend znode and an invalid config sit in the "Rejected in ZooKeeper" panel;
// - standby refusals (reject mode) are neither traffic nor 5xx;
// - the leader frozen (SIGSTOP) past its session: the red banner from the moment nothing serves
//   until the standby takes over, the frozen card never "serving yes";
// - `?static=1` lets `chromium --headless --screenshot --virtual-time-budget=5000` finish (the
//   exact command, with a timeout), and an active-active frame labels serving peers.
// Needs the built code (`npx tsc -b`).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type LocalCluster, startLocalCluster } from '@ringleader/launcher';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.RINGLEADER_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const HOST = '127.0.0.1';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const haveChromium = existsSync(CHROMIUM);
const run = promisify(execFile);

describe.skipIf(!haveChromium)('dashboard for the operator in headless Chromium', () => {
  let c: LocalCluster;
  let browser: Browser;
  let noHealthz: Server;
  let traffic: NodeJS.Timeout | undefined;
  let frozen: number | undefined;
  const root = () => `/ringleader/${c.cluster}`;

  beforeAll(async () => {
    // Like `python3 -m http.server` in an empty folder: 404 for /healthz and everything else.
    noHealthz = createServer((_req, res) => res.writeHead(404).end('not found'));
    await new Promise<void>((resolve) => noHealthz.listen(0, HOST, resolve));
    const port = (noHealthz.address() as { port: number }).port;
    c = await startLocalCluster({
      nodes: 2,
      backends: 2,
      weights: [2, 1],
      clusterConfig: { policy: 'round-robin' },
      standby: 'reject',
      // A frozen leader is taken over after its session: long enough that the page surely sees
      // the gap (peers are polled every second with an 800 ms timeout), short for a test.
      tickTime: 500,
      sessionTimeoutMs: 8000,
    });
    await c.session.create(`${root()}/backends/plain`, JSON.stringify({ host: HOST, port }));
    await c.session.create(
      `${root()}/backends/ss-dead`,
      JSON.stringify({ serviceEndpoint: { host: HOST, port: 9 }, additionalEndpoints: {}, status: 'DEAD' }),
    );
    await c.session.create(`${root()}/backends/broken`, '{"host": ');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 90_000);

  afterAll(async () => {
    clearInterval(traffic);
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    await browser?.close();
    await c?.stop();
    await new Promise<void>((resolve) => (noHealthz ? noHealthz.close(() => resolve()) : resolve()));
  }, 60_000);

  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await expect.poll(() => page.locator('[data-testid=node-card]').count(), { timeout: 10_000 }).toBe(2);
    return { page, errors };
  }

  const row = (page: Page, id: string) => page.locator(`#backends tr[data-backend="${id}"]`);

  it('shows why a backend is down, a read-only foreign payload, ignored weights and rejected znodes', async () => {
    const leader = await c.leader();
    const standby = c.nodes.find((n) => n.id !== leader.id)!;
    // Traffic to both: the leader serves it, the standby (reject mode) refuses it with 503s.
    traffic = setInterval(() => {
      for (const n of [leader, standby])
        fetch(`${n.proxyUrl}/hello`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.arrayBuffer())
          .catch(() => {});
    }, 50);
    await c.session.setData(`${root()}/config`, JSON.stringify({ policy: 'no-such-policy' }));
    const { page, errors } = await open(`${standby.adminUrl}/`);

    const reason = row(page, 'plain').locator('[data-testid=health-reason]');
    await expect
      .poll(() => reason.textContent(), { timeout: 15_000 })
      .toBe('first check failed: status 404 outside 200..399');
    const dead = row(page, 'ss-dead');
    await expect
      .poll(() => dead.locator('td').nth(4).textContent(), { timeout: 10_000 })
      .toBe('draining (ServerSet DEAD)');
    expect(await dead.locator('button').isVisible()).toBe(false);
    expect(await dead.locator('[data-testid=read-only]').isVisible()).toBe(true);
    expect(await dead.locator('[data-testid=read-only]').getAttribute('title')).toContain(
      'registered in serverset format by another tool',
    );
    expect(await row(page, 'b1').locator('button').isVisible()).toBe(true);
    expect(await page.locator('#backends-note').textContent()).toContain(
      'weights ignored: policy round-robin gives every backend of weight > 0 an equal share',
    );

    const rejected = page.locator('[data-testid=rejected]');
    await expect.poll(() => rejected.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => rejected.locator('tbody tr').count(), { timeout: 10_000 }).toBe(2);
    const text = await rejected.textContent();
    expect(text).toContain(`${root()}/backends/broken`);
    expect(text).toContain(`${root()}/config`);
    expect(text).toContain('the last good config stays in force');

    const snapshot = page.locator(`[data-node-id="${standby.id}"] dd`).nth(2);
    expect(await snapshot.textContent()).toMatch(/^0x[0-9a-f]+$/);
    // Refusals are counted apart: the rates hold only what the leader served.
    await expect
      .poll(() => page.locator('#chart-note').textContent(), { timeout: 15_000 })
      .toMatch(/^[1-9][\d.]* req\/s · 0\.0 5xx\/s · [\d.]+ refused by non-serving nodes\/s/);
    expect(await page.locator('[data-testid=outage]').isHidden()).toBe(true);
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-operator.png'), fullPage: true });
    await page.close();
    await c.session.setData(`${root()}/config`, JSON.stringify({ policy: 'round-robin' }));
  }, 90_000);

  it('lets the exact headless screenshot command finish with ?static=1', async () => {
    const node = c.nodes.find((n) => n.running)!;
    const out = join(ARTIFACTS, 'dashboard-static.png');
    mkdirSync(ARTIFACTS, { recursive: true });
    rmSync(out, { force: true });
    const url = `${node.adminUrl}/?static=1`;
    // The documented command (docs/dashboard.md); a hang fails here by the timeout.
    await run(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        `--screenshot=${out}`,
        '--window-size=1400,1000',
        '--virtual-time-budget=5000',
        url,
      ],
      { timeout: 60_000 },
    );
    expect(statSync(out).size).toBeGreaterThan(10_000);
    const dom = await run(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--virtual-time-budget=5000', '--dump-dom', url],
      {
        timeout: 60_000,
        maxBuffer: 16 << 20,
      },
    );
    expect(dom.stdout).toContain('data-testid="node-card"');
    expect(dom.stdout).toMatch(/data-state="static"[^>]*>static snapshot of /);
  }, 150_000);

  it('labels serving non-leaders of an active-active cluster as serving peers, not standbys', async () => {
    const node = c.nodes.find((n) => n.running)!;
    const frame = (await (await fetch(`${node.adminUrl}/dashboard/frame.json`)).json()) as {
      self: { node: { mode: string } };
      nodes: Array<{ status: { role: string; serving: boolean } | null }>;
    };
    frame.self.node.mode = 'active-active';
    for (const n of frame.nodes)
      if (n.status && n.status.role !== 'leader') n.status = { ...n.status, serving: true };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.route('**/dashboard/frame.json', (route) => route.fulfill({ json: frame }));
    await page.goto(`${node.adminUrl}/?static=1`);
    await expect.poll(() => page.locator('[data-testid=peer-badge]').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('.badge-standby').count()).toBe(0);
    expect(await page.locator('[data-testid=leader-badge]').count()).toBe(1);
    await page.close();
  }, 60_000);
  it('says a leader znode whose node does not answer is a ghost, from a replayed failover frame', async () => {
    const node = c.nodes.find((n) => n.running)!;
    const frame = (await (await fetch(`${node.adminUrl}/dashboard/frame.json`)).json()) as {
      at: number;
      node: string;
      zk: { leader: { id: string; epoch: number } | null };
      serving: unknown;
      nodes: Array<{
        id: string;
        reachable: boolean;
        error: string | null;
        status: { role: string; serving?: boolean } | null;
      }>;
    };
    const other = frame.nodes.find((n) => n.id !== frame.node)!;
    other.reachable = false;
    other.error = 'timed out';
    other.status = { ...other.status!, role: 'leader' };
    // In the replayed frame this node is a standby whichever node leads the live cluster now.
    for (const n of frame.nodes)
      if (n.id !== other.id && n.status) n.status = { ...n.status, role: 'standby', serving: false };
    frame.zk.leader = { id: other.id, epoch: 7 };
    frame.serving = { state: 'outage', since: frame.at - 65_000, sinceKnown: true, lastServer: other.id };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.route('**/dashboard/frame.json', (route) => route.fulfill({ json: frame }));
    await page.goto(`${node.adminUrl}/?static=1`);
    const banner = page.locator('[data-testid=outage]');
    await expect.poll(() => banner.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await banner.locator('[data-testid=outage-title]').textContent()).toBe(
      'no leader — nothing is serving for 1 min 5 s',
    );
    expect(await page.locator('#zk-note').textContent()).toContain(
      `leader znode: ${other.id}, epoch 7 — ${other.id} does not answer as leader`,
    );
    expect(await page.locator('[data-testid=leader-badge]').count()).toBe(0);
    await page.close();
  }, 60_000);

  it('shows the red banner while nothing serves (leader frozen past its 8 s session) and clears it on takeover', async () => {
    const leader = await c.leader();
    const standby = c.nodes.find((n) => n.id !== leader.id)!;
    const { page, errors } = await open(`${standby.adminUrl}/`);
    const banner = page.locator('[data-testid=outage]');
    expect(await banner.isHidden()).toBe(true);
    frozen = leader.pid;
    process.kill(frozen!, 'SIGSTOP');
    await expect.poll(() => banner.isVisible(), { timeout: 10_000, interval: 100 }).toBe(true);
    expect(await banner.textContent()).toMatch(
      new RegExp(
        `^no leader — nothing is serving for \\d+ ssince \\S+, when ${leader.id} was last seen serving`,
      ),
    );
    const card = page.locator(`[data-testid=node-card][data-node-id="${leader.id}"]`);
    expect(await card.textContent()).toContain('servingunknown (was yes)');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-outage.png'), fullPage: true });
    // The standby takes over once the frozen leader's session expires: the banner goes.
    await expect.poll(() => banner.isHidden(), { timeout: 20_000, interval: 100 }).toBe(true);
    expect(await page.locator('[data-testid=leader-badge]').count()).toBe(1);
    process.kill(frozen!, 'SIGCONT');
    frozen = undefined;
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
