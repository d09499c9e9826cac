// HTTPS termination material for the proxy port, and its reload on SIGHUP.
//
// A reload re-reads both PEM files, checks them completely BEFORE touching the server (both
// parse, the key matches the certificate, OpenSSL accepts the pair), then swaps them in with
// `server.setSecureContext()`: handshakes from then on use the new pair, connections already
// established keep theirs (nothing is dropped). Anything wrong — a missing or half-written
// file, a key for another certificate — keeps the old pair in force and logs one error
// naming the file and the problem (RL_TLS_RELOAD_FAILED).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { RingleaderError } from '@ringleader/core';
import { nodeError } from '../errors.js';

export interface TlsFiles {
  readonly keyFile: string;
  readonly certFile: string;
}

export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** What a loaded pair is, for logs and /status (no secret in it). */
export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly validTo: string;
  /** SHA-256 fingerprint of the leaf certificate. */
  readonly fingerprint256: string;
  readonly expired: boolean;
}

/** The part of an https/tls server a reload needs. */
export interface SecureContextTarget {
  setSecureContext(options: { key: Buffer; cert: Buffer }): void;
}

export interface ReloadLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type ReloadResult =
  | { readonly ok: true; readonly info: CertificateInfo; readonly changed: boolean }
  | { readonly ok: false; readonly error: RingleaderError };

/**
 * Checks a key/certificate pair without installing it; throws RL_TLS_RELOAD_FAILED naming
 * the file at fault. Pure apart from OpenSSL.
 */
export function checkTlsMaterial(m: TlsMaterial, files: TlsFiles, now = new Date()): CertificateInfo {
  const fail = (file: string, what: string, cause?: unknown) =>
    nodeError('RL_TLS_RELOAD_FAILED', `${file}: ${what}`, { path: file, cause });
  if (m.key.length === 0) throw fail(files.keyFile, 'is empty');
  if (m.cert.length === 0) throw fail(files.certFile, 'is empty');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(m.cert);
  } catch (err) {
    throw fail(files.certFile, `is not a PEM certificate (${(err as Error).message})`, err);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(m.key);
  } catch (err) {
    throw fail(files.keyFile, `is not a PEM private key (${(err as Error).message})`, err);
  }
  if (!x509.checkPrivateKey(key)) {
    throw fail(files.keyFile, `does not match the certificate in ${files.certFile}`);
  }
  try {
    createSecureContext({ key: m.key, cert: m.cert });
  } catch (err) {
    throw fail(files.certFile, `refused by OpenSSL (${(err as Error).message})`, err);
  }
  return {
    subject: x509.subject.replaceAll('\n', ', '),
    issuer: x509.issuer.replaceAll('\n', ', '),
    validTo: x509.validTo,
    fingerprint256: x509.fingerprint256,
    expired: new Date(x509.validTo).getTime() < now.getTime(),
  };
}

/** Reads both files; throws RL_TLS_RELOAD_FAILED naming the file that cannot be read. */
export function readTlsFiles(files: TlsFiles, read: (path: string) => Buffer = readFileSync): TlsMaterial {
  const one = (path: string) => {
    try {
      return read(path);
    } catch (err) {
      throw nodeError('RL_TLS_RELOAD_FAILED', `${path}: cannot be read (${(err as Error).message})`, {
        path,
        cause: err,
      });
    }
  };
  return { key: one(files.keyFile), cert: one(files.certFile) };
}

/** Reads and checks the pair at start-up (a bad pair stops the node with a clear message). */
export function loadTls(
  files: TlsFiles,
  read?: (path: string) => Buffer,
): TlsMaterial & { info: CertificateInfo } {
  const m = readTlsFiles(files, read);
  return { ...m, info: checkTlsMaterial(m, files) };
}

/**
 * Swaps the server's certificate for what the files hold now. Never throws: a bad pair keeps
 * the one in force and is returned (and logged) as an error.
 */
export class CertificateReloader {
  readonly #files: TlsFiles;
  readonly #target: SecureContextTarget;
  readonly #log: ReloadLogger | undefined;
  readonly #read: ((path: string) => Buffer) | undefined;
  #current: CertificateInfo | undefined;
  /** Successful swaps and refused reloads since start. */
  reloads = 0;
  failures = 0;

  constructor(opts: {
    files: TlsFiles;
    target: SecureContextTarget;
    logger?: ReloadLogger;
    read?: (path: string) => Buffer;
    current?: CertificateInfo;
  }) {
    this.#files = opts.files;
    this.#target = opts.target;
    this.#log = opts.logger;
    this.#read = opts.read;
    this.#current = opts.current;
  }

  get current(): CertificateInfo | undefined {
    return this.#current;
  }

  reload(): ReloadResult {
    let m: TlsMaterial;
    let info: CertificateInfo;
    try {
      m = readTlsFiles(this.#files, this.#read);
      info = checkTlsMaterial(m, this.#files);
      this.#target.setSecureContext({ key: m.key, cert: m.cert });
    } catch (err) {
      const error =
        err instanceof RingleaderError
          ? err
          : nodeError('RL_TLS_RELOAD_FAILED', (err as Error).message, { cause: err });
      this.failures++;
      this.#log?.error(
        { code: error.code, path: error.path, keeping: this.#current?.fingerprint256 },
        `certificate reload refused, keeping the certificate in force: ${error.message}`,
      );
      return { ok: false, error };
    }
    const changed = info.fingerprint256 !== this.#current?.fingerprint256;
    this.#current = info;
    this.reloads++;
    const fields = {
      subject: info.subject,
      validTo: info.validTo,
      fingerprint256: info.fingerprint256,
      changed,
    };
    if (info.expired) this.#log?.warn(fields, 'certificate reloaded, but it has expired');
    else this.#log?.info(fields, 'certificate reloaded');
    return { ok: true, info, changed };
  }
}
