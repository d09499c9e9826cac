// The operator dashboard in real headless Chromium (Debian's `chromium`, driven by
// playwright-core) against a real 3-node cluster on real ZooKeeper. Needs the built code
// (`npx tsc -b`): the nodes are child processes running dist/.
//
// Races injected: the leader is SIGKILLed while a standby's page watches (the badge must move
// without a reload), then the node serving the page itself is SIGKILLed (the page must find
// another node by itself). Admin actions go through confirm() and the bearer token.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalCluster, type LocalNode, startLocalCluster } from '@ringleader/launcher';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.RINGLEADER_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const TOKEN = 'dashboard-test-token-7f3a';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`dashboard tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** The little of the DOM these callbacks use (the test project has no DOM lib). */
interface DomElement {
  getAttribute(name: string): string | null;
}

/** Ids of the node cards that carry the LEADER badge. */
function leaderBadges(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=node-card]:has([data-testid=leader-badge])')
    .evaluateAll((els) => els.map((e) => (e as unknown as DomElement).getAttribute('data-node-id') ?? '?'));
}

/** A value set in the page; it survives only if the page is never reloaded. */
async function markPage(page: Page): Promise<string> {
  const mark = `m${Math.random()}`;
  await page.evaluate((m) => {
    (globalThis as unknown as { __mark: string }).__mark = m;
  }, mark);
  return mark;
}

const pageMark = (page: Page) => page.evaluate(() => (globalThis as unknown as { __mark?: string }).__mark);

describe.skipIf(!haveChromium)('dashboard in headless Chromium', () => {
  let cluster: LocalCluster;
  let browser: Browser;
  let traffic: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    cluster = await startLocalCluster({
      nodes: 3,
      backends: 4,
      policy: 'consistent-hash',
      hash: 'header:x-user',
      standby: 'forward',
      nodeEnv: { RINGLEADER_ADMIN_TOKEN: TOKEN },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 90_000);

  afterAll(async () => {
    clearInterval(traffic);
    await browser?.close();
    await cluster?.stop();
  }, 60_000);

  /** Steady traffic through `node`'s proxy port (a standby forwards to the leader). */
  function sendTraffic(node: LocalNode): void {
    clearInterval(traffic);
    let i = 0;
    traffic = setInterval(() => {
      for (let k = 0; k < 4; k++)
        fetch(`${node.proxyUrl}/hello`, {
          headers: { 'x-user': `user-${i++ % 50}` },
          signal: AbortSignal.timeout(2000),
        })
          .then((r) => r.arrayBuffer())
          .catch(() => {});
    }, 50);
  }

  async function openDashboard(node: LocalNode): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${node.adminUrl}/`);
    await expect.poll(() => page.locator('[data-testid=node-card]').count(), { timeout: 10_000 }).toBe(3);
    expect(errors).toEqual([]);
    return page;
  }

  it('drains and undrains a backend behind a confirm, and says so when the token is missing', async () => {
    const leader = await cluster.leader();
    const viewer = cluster.nodes.find((n) => n.id !== leader.id)!;
    const page = await openDashboard(viewer);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    const row = page.locator('#backends tr[data-backend="b1"]');
    await row.locator('button').click();
    await expect
      .poll(() => page.locator('#notice').textContent(), { timeout: 10_000 })
      .toContain('admin token');
    expect(dialogs).toEqual(['Drain backend b1?']);

    await page.fill('#token', TOKEN);
    await page.click('#token-form button');
    await row.locator('button').click();
    await expect.poll(() => row.locator('td').nth(4).textContent(), { timeout: 10_000 }).toBe('draining');
    await row.locator('button').click();
    await expect.poll(() => row.locator('td').nth(4).textContent(), { timeout: 10_000 }).toBe('active');
    expect(dialogs).toEqual(['Drain backend b1?', 'Drain backend b1?', 'Undrain backend b1?']);
    await page.close();
  }, 60_000);

  it('moves the LEADER badge to the new leader without a reload when the leader is SIGKILLed', async () => {
    const leader = await cluster.leader();
    const viewer = cluster.nodes.find((n) => n.running && n.id !== leader.id)!;
    sendTraffic(viewer);
    const page = await openDashboard(viewer);
    await expect.poll(() => leaderBadges(page), { timeout: 10_000 }).toEqual([leader.id]);
    const mark = await markPage(page);
    // Let the chart and the share column show some traffic first.
    await expect
      .poll(() => page.locator('#chart-note').textContent(), { timeout: 10_000 })
      .not.toMatch(/^0\.0 req\/s/);

    await leader.kill('SIGKILL');
    const next = await cluster.leader(20_000);
    expect(next.id).not.toBe(leader.id);
    await expect.poll(() => leaderBadges(page), { timeout: 15_000 }).toEqual([next.id]);
    const dead = page.locator(`[data-testid=node-card][data-node-id="${leader.id}"]`);
    await expect.poll(() => dead.textContent(), { timeout: 10_000 }).toContain('UNREACHABLE');
    expect(await pageMark(page)).toBe(mark);
    // The line comes from the new leader's own timeline, which this page sees through the
    // viewer's periodic poll of its peers, not necessarily with the frame that moved the badge.
    await expect
      .poll(() => page.locator('#events').textContent(), { timeout: 10_000 })
      .toContain('promoted to leader');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.close();
  }, 90_000);

  it('reconnects by itself to another node when the node serving the page is SIGKILLed', async () => {
    const leader = await cluster.leader();
    const survivor = cluster.nodes.find((n) => n.running && n.id !== leader.id)!;
    sendTraffic(survivor);
    const page = await openDashboard(leader);
    await expect.poll(() => leaderBadges(page), { timeout: 10_000 }).toEqual([leader.id]);
    const mark = await markPage(page);
    const conn = page.locator('[data-testid=connection]');
    expect(await conn.getAttribute('data-base')).toBe(leader.adminUrl);

    await leader.kill('SIGKILL');
    await expect
      .poll(async () => [await conn.getAttribute('data-state'), await conn.getAttribute('data-base')], {
        timeout: 15_000,
      })
      .toEqual(['connected', survivor.adminUrl]);
    await expect.poll(() => leaderBadges(page), { timeout: 15_000 }).toEqual([survivor.id]);
    expect(await pageMark(page)).toBe(mark);

    // Actions now go to another origin than the page's (CORS pre-flight with the bearer token).
    page.on('dialog', (d) => void d.accept());
    await page.fill('#token', TOKEN);
    await page.click('#token-form button');
    const row = page.locator('#backends tr[data-backend="b2"]');
    await row.locator('button').click();
    await expect.poll(() => row.locator('td').nth(4).textContent(), { timeout: 10_000 }).toBe('draining');
    await row.locator('button').click();
    await expect.poll(() => row.locator('td').nth(4).textContent(), { timeout: 10_000 }).toBe('active');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-reconnected.png'), fullPage: true });
    await page.close();
  }, 90_000);
});
