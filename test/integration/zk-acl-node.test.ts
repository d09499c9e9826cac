// Node processes and the CLI against a cluster protected by ACLs: a node started without the
// cluster credential (or with a wrong password) stays up as a non-leader, logs a clear
// `not authorised` line once per operation and path (not once per retry), and the leader
// keeps serving; the CLI says which operation on which znode needs the credential.
import { readFileSync } from 'node:fs';
import { type LocalCluster, sleep, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from './cli-helpers.js';

const CRED = 'ringleader:node-acl-s3cret';
let c: LocalCluster;

beforeAll(async () => {
  buildCli();
  c = await startLocalCluster({
    nodes: 3,
    backends: 1,
    zkAuth: CRED,
    // lb-2 and lb-3 cannot join the election: they stay candidates by design.
    awaitEveryRole: false,
    // lb-1 holds the credential; lb-2 has a wrong password; lb-3 has none.
    nodeEnv: (i): Record<string, string> =>
      i === 1 ? { RINGLEADER_ZK_AUTH: 'ringleader:wrong' } : i === 2 ? { RINGLEADER_ZK_AUTH: '' } : {},
  });
}, 90_000);
afterAll(async () => {
  await c?.stop();
});

function notAuthorisedLines(logFile: string): string[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('not authorised'));
}

describe('nodes without the cluster credential', () => {
  it('nodeWithoutOrWithAWrongCredentialStaysUpAsNonLeaderAndLogsNotAuthorisedOncePerOperationNotPerRetry', async () => {
    const leader = await c.leader();
    expect(leader.id).toBe('lb-1');
    // Retries after a refusal come every 5 s: wait for at least two of them.
    await sleep(11_000);
    for (const node of c.nodes.slice(1)) {
      expect(node.running, node.id).toBe(true);
      const s = await node.status();
      expect(s.role, node.id).toBe('candidate');
      expect(s.serving, node.id).toBe(false);
      expect(s.session.state, node.id).toBe('connected');
      // It still reads (open reads): same membership as the leader.
      expect(s.backends.map((b) => b.id)).toEqual(['b1']);
      const lines = notAuthorisedLines(node.logFile);
      const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      expect(
        messages.some((m) =>
          m.includes(`create /ringleader/${c.cluster}/nodes/${node.id} needs the cluster credential`),
        ),
      ).toBe(true);
      expect(messages.some((m) => m.includes(`/ringleader/${c.cluster}/election/_c_`))).toBe(true);
      // One line per operation and path within the minute, however many retries ran: setACL of
      // the cluster folder, the nodes/ registration, the health/ folder and this node's znode
      // in it (shared checking), the election candidate.
      expect(lines.length, messages.join('\n')).toBeLessThanOrEqual(5);
      for (const l of lines) expect(JSON.parse(l)).toMatchObject({ code: 'RL_ZK_NOT_AUTHORISED', level: 50 });
      // No secret in the log.
      const log = readFileSync(node.logFile, 'utf8');
      expect(log).not.toContain('node-acl-s3cret');
      expect(log).not.toContain('ringleader:wrong');
    }
    // The leader was never disturbed and still proxies.
    const r = await fetch(`${leader.proxyUrl}/after`);
    expect(r.status).toBe(200);
    expect((await leader.status()).role).toBe('leader');
  });

  it('cliWithoutTheCredentialSaysWhichOperationOnWhichZnodeNeedsIt', async () => {
    const args = ['backend', 'add', 'evil', '--host', '203.0.113.9', '--port', '80'];
    const common = { RINGLEADER_ZK: c.zk.connectString, RINGLEADER_CLUSTER: c.cluster };
    const denied = await runCli(args, common);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `not authorised: create /ringleader/${c.cluster}/backends/evil needs the cluster credential`,
    );
    expect(denied.stderr).toContain('RL_ZK_NOT_AUTHORISED');
    const wrong = await runCli(args, { ...common, RINGLEADER_ZK_AUTH: 'ringleader:nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('not authorised: create');
    const ok = await runCli(['backend', 'add', 'good', '--host', '127.0.0.1', '--port', '80'], {
      ...common,
      RINGLEADER_ZK_AUTH: CRED,
    });
    expect(ok.code, ok.stderr).toBe(0);
    const removed = await runCli(['backend', 'remove', 'good'], { ...common, RINGLEADER_ZK_AUTH: CRED });
    expect(removed.code, removed.stderr).toBe(0);
  });
});
