// HTTPS certificate reload on SIGHUP through a real node process: a connection opened before
// the reload keeps working (nothing is dropped), new connections get the new certificate, and
// a bad new pair (key for another certificate) keeps the one in force with a clear error.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { type LocalCluster, type LocalNode, sleep, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let c: LocalCluster;
let node: LocalNode;

function selfSigned(name: string): void {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`].concat([
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
    ]),
    { stdio: 'ignore' },
  );
}

/** Installs `name`'s pair as the node's files (key first, as a careless operator would). */
function install(keyOf: string, certOf: string): void {
  copyFileSync(join(dir, `${keyOf}.key`), join(dir, 'live.key'));
  copyFileSync(join(dir, `${certOf}.crt`), join(dir, 'live.crt'));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rl-tls-reload-'));
  for (const n of ['one', 'two', 'three']) selfSigned(n);
  install('one', 'one');
  c = await startLocalCluster({
    nodes: 1,
    backends: 1,
    nodeEnv: {
      RINGLEADER_TLS_KEY_FILE: join(dir, 'live.key'),
      RINGLEADER_TLS_CERT_FILE: join(dir, 'live.crt'),
      RINGLEADER_IDLE_TIMEOUT_MS: '60000',
    },
  });
  node = await c.leader();
}, 60_000);
afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A keep-alive TLS connection to the proxy port that can send several requests. */
async function tlsConnection(): Promise<{
  socket: TLSSocket;
  cn: string;
  get: (path: string) => Promise<string>;
}> {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: node.proxyPort, rejectUnauthorized: false }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
  });
  const get = async (path: string) => {
    buf = '';
    socket.write(`GET ${path} HTTP/1.1\r\nHost: lb.test\r\n\r\n`);
    for (let i = 0; i < 200; i++) {
      const m = /content-length: (\d+)\r\n/i.exec(buf);
      const head = buf.indexOf('\r\n\r\n');
      if (m && head >= 0 && buf.length >= head + 4 + Number(m[1])) return buf;
      if (/transfer-encoding: chunked\r\n/i.test(buf) && buf.endsWith('\r\n0\r\n\r\n')) return buf;
      if (socket.destroyed) throw new Error(`connection closed; got ${JSON.stringify(buf)}`);
      await sleep(25);
    }
    throw new Error(`no complete response; got ${JSON.stringify(buf)}`);
  };
  return { socket, cn: String(socket.getPeerCertificate().subject?.CN), get };
}

function logLines(re: RegExp): string[] {
  return readFileSync(node.logFile, 'utf8')
    .split('\n')
    .filter((l) => re.test(l));
}

async function sighupAndWait(re: RegExp): Promise<void> {
  const before = logLines(re).length;
  process.kill(node.pid as number, 'SIGHUP');
  await c.waitFor(() => logLines(re).length > before, 10_000, `a log line matching ${re}`);
}

describe('certificate reload on SIGHUP', () => {
  it('sighupSwapsTheCertificateForNewConnectionsWhileAnOpenConnectionKeepsWorking', async () => {
    const old = await tlsConnection();
    expect(old.cn).toBe('one');
    expect(await old.get('/before')).toMatch(/^HTTP\/1\.1 200/);

    install('two', 'two');
    await sighupAndWait(/certificate reloaded/);

    expect(node.running).toBe(true);
    // The connection opened before the reload is still the same, still served.
    expect(old.socket.destroyed).toBe(false);
    expect(await old.get('/after')).toMatch(/^HTTP\/1\.1 200/);
    expect(String(old.socket.getPeerCertificate().subject?.CN)).toBe('one');
    // A new connection gets the new certificate.
    const fresh = await tlsConnection();
    expect(fresh.cn).toBe('two');
    expect(await fresh.get('/fresh')).toMatch(/^HTTP\/1\.1 200/);
    old.socket.destroy();
    fresh.socket.destroy();
  });

  it('aKeyThatDoesNotMatchTheCertificateKeepsTheOldPairAndLogsWhichFile', async () => {
    const old = await tlsConnection();
    install('three', 'two'); // half-replaced: new key, old certificate
    await sighupAndWait(/certificate reload refused/);
    const line = JSON.parse(logLines(/certificate reload refused/).at(-1) as string) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({ code: 'RL_TLS_RELOAD_FAILED', path: join(dir, 'live.key') });
    expect(String(line.msg)).toContain('does not match the certificate');
    expect(node.running).toBe(true);
    expect(await old.get('/still')).toMatch(/^HTTP\/1\.1 200/);
    const fresh = await tlsConnection();
    expect(fresh.cn).toBe('two'); // the pair in force
    expect(await fresh.get('/kept')).toMatch(/^HTTP\/1\.1 200/);
    // The operator finishes the job: the next SIGHUP takes it.
    install('three', 'three');
    await sighupAndWait(/certificate reloaded/);
    const third = await tlsConnection();
    expect(third.cn).toBe('three');
    for (const s of [old, fresh, third]) s.socket.destroy();
  });
});
