import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateReloader, checkTlsMaterial, loadTls, readTlsFiles, type TlsFiles } from './tls.js';

let dir: string;
const pem: Record<'a' | 'b', { key: Buffer; cert: Buffer }> = {} as never;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rl-tls-unit-'));
  for (const n of ['a', 'b'] as const) {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'].concat(
        ['-subj', `/CN=${n}.test`, '-keyout', join(dir, `${n}.key`), '-out', join(dir, `${n}.crt`)],
      ),
      { stdio: 'ignore' },
    );
    pem[n] = { key: readFileSync(join(dir, `${n}.key`)), cert: readFileSync(join(dir, `${n}.crt`)) };
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files: TlsFiles = { keyFile: '/etc/rl/key.pem', certFile: '/etc/rl/cert.pem' };

describe('checkTlsMaterial', () => {
  it('accepts a matching pair and describes it without the key', () => {
    const info = checkTlsMaterial(pem.a, files);
    expect(info.subject).toBe('CN=a.test');
    expect(info.expired).toBe(false);
    expect(info.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(JSON.stringify(info)).not.toContain('PRIVATE');
  });

  // Rows build their material lazily: the PEM files exist only after beforeAll.
  const cases: Array<[string, () => { key: Buffer; cert: Buffer }, string, RegExp]> = [
    [
      'a key for another certificate',
      () => ({ key: pem.b.key, cert: pem.a.cert }),
      files.keyFile,
      /does not match/,
    ],
    [
      'an empty key file (half-written)',
      () => ({ key: Buffer.alloc(0), cert: pem.a.cert }),
      files.keyFile,
      /is empty/,
    ],
    [
      'an empty certificate file',
      () => ({ key: pem.a.key, cert: Buffer.alloc(0) }),
      files.certFile,
      /is empty/,
    ],
    [
      'garbage instead of a certificate',
      () => ({ key: pem.a.key, cert: Buffer.from('nope') }),
      files.certFile,
      /not a PEM certificate/,
    ],
    [
      'garbage instead of a key',
      () => ({ key: Buffer.from('nope'), cert: pem.a.cert }),
      files.keyFile,
      /not a PEM private key/,
    ],
  ];
  it.each(cases)('refuses %s with RL_TLS_RELOAD_FAILED naming the file', (_name, material, file, re) => {
    let err: unknown;
    try {
      checkTlsMaterial(material(), files);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'RL_TLS_RELOAD_FAILED', path: file });
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).toContain(file);
  });
});

describe('CertificateReloader', () => {
  function setup() {
    const contents = new Map<string, Buffer>([
      [files.keyFile, pem.a.key],
      [files.certFile, pem.a.cert],
    ]);
    const read = (p: string) => {
      const v = contents.get(p);
      if (v === undefined) throw new Error(`ENOENT: ${p}`);
      return v;
    };
    const installed: Buffer[] = [];
    const logs: string[] = [];
    const log = {
      info: (_o: object, m: string) => logs.push(`info ${m}`),
      warn: (_o: object, m: string) => logs.push(`warn ${m}`),
      error: (_o: object, m: string) => logs.push(`error ${m}`),
    };
    const start = loadTls(files, read);
    const r = new CertificateReloader({
      files,
      target: { setSecureContext: (o) => void installed.push(o.cert) },
      logger: log,
      read,
      current: start.info,
    });
    return { contents, installed, logs, r, start };
  }

  it('swaps in a new pair and says it changed', () => {
    const { contents, installed, r } = setup();
    contents.set(files.keyFile, pem.b.key);
    contents.set(files.certFile, pem.b.cert);
    const res = r.reload();
    expect(res).toMatchObject({ ok: true, changed: true, info: { subject: 'CN=b.test' } });
    expect(installed).toEqual([pem.b.cert]);
    expect(r.reload()).toMatchObject({ ok: true, changed: false });
  });

  it('keeps the pair in force when the new one is bad, missing or half-replaced, and logs why', () => {
    const { contents, installed, logs, r, start } = setup();
    contents.set(files.certFile, pem.b.cert); // key still a's: mismatch
    expect(r.reload()).toMatchObject({
      ok: false,
      error: { code: 'RL_TLS_RELOAD_FAILED', path: files.keyFile },
    });
    contents.delete(files.keyFile);
    expect(r.reload()).toMatchObject({ ok: false, error: { path: files.keyFile } });
    expect(installed).toEqual([]);
    expect(r.current?.fingerprint256).toBe(start.info.fingerprint256);
    expect(r.failures).toBe(2);
    expect(
      logs.every((l) => l.startsWith('error certificate reload refused, keeping the certificate in force')),
    ).toBe(true);
  });

  it('readTlsFiles names the unreadable file', () => {
    expect(() => readTlsFiles({ keyFile: join(dir, 'missing.key'), certFile: join(dir, 'a.crt') })).toThrow(
      /missing\.key: cannot be read/,
    );
    writeFileSync(join(dir, 'empty.key'), '');
    expect(() => loadTls({ keyFile: join(dir, 'empty.key'), certFile: join(dir, 'a.crt') })).toThrow(
      /is empty/,
    );
  });
});
