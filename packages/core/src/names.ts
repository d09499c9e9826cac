// The one set of name rules: backend ids, cluster names, node ids and the ZooKeeper connect
// string. Every place that checks one of these (the backend codec, the zk paths, the node
// config, the admin API, the CLI flags) asks the rule here, so a name valid in one place is
// valid in all. The rules are documented once, in docs/zookeeper.md ("Names").
//
// A rule is pure and never throws: `problem(value)` is undefined for a valid value, otherwise
// one sentence naming the value and the expected form, for the caller to wrap in its own
// error code (RL_BAD_BACKEND_ID, RL_ZK_BAD_PATH, RL_BAD_NODE_CONFIG, RL_CLI_USAGE, ...).

/** Shows a bad value in a message without echoing 64 KiB of it. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export interface NameRule {
  /** What the rule names, for messages: "backend id", "cluster name", ... */
  readonly what: string;
  /** The expected form, for messages, help and docs. */
  readonly form: string;
  /** Why `value` breaks the rule (naming the value and the form), or undefined when it is valid. */
  problem(value: unknown): string | undefined;
}

function rule(what: string, form: string, reason: (value: string) => string | undefined): NameRule {
  return Object.freeze({
    what,
    form,
    problem(value: unknown): string | undefined {
      const why = typeof value !== 'string' ? 'is not a string' : reason(value);
      return why === undefined ? undefined : `${show(value)} ${why} (expected ${form})`;
    },
  });
}

const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

// ---- backend ids ----------------------------------------------------------

export const MAX_BACKEND_ID_LENGTH = 255;

// ZooKeeper forbids \u0000-\u001f, \u007f-\u009f, \ud800-\uf8ff and \ufff0-\uffff in
// names; we also refuse whitespace and zero-width characters, so an id is safe as a
// CLI argument, a log field and a metrics label. An explicit list, not \p{...}
// classes, so every Node version (ICU data) gives the same answer.
function badIdChar(c: number): string | undefined {
  if (c === 0x2f) return "'/'";
  if (c === 0x20 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f)
    return `whitespace (${hex(c)})`;
  if (c === 0x205f || c === 0x3000 || (c >= 0x2028 && c <= 0x2029)) return `whitespace (${hex(c)})`;
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return `a control character (${hex(c)})`;
  if ((c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || c === 0xfeff)
    return `a zero-width or direction character (${hex(c)})`;
  if ((c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) return `a character ZooKeeper forbids (${hex(c)})`;
  return undefined;
}

/**
 * A backend id: the znode name under `backends/`. The widest rule any part of ringleader
 * accepted before the rules were unified (the codec's), so no registered backend — native,
 * ServerSet `member_0000000007`, Nerve, Curator UUIDs, `10.0.0.5:8080` — is lost.
 */
export const BACKEND_ID: NameRule = rule(
  'backend id',
  `1..${MAX_BACKEND_ID_LENGTH} characters, not "." or "..", without '/', whitespace, control characters or characters ZooKeeper forbids, e.g. web-1 or 10.0.0.5:8080`,
  (id) => {
    if (id.length === 0) return 'is empty';
    if (id.length > MAX_BACKEND_ID_LENGTH) return `is ${id.length} characters long`;
    if (id === '.' || id === '..') return 'is not allowed';
    for (let i = 0; i < id.length; i++) {
      const bad = badIdChar(id.charCodeAt(i));
      if (bad !== undefined) return `contains ${bad}`;
    }
    return undefined;
  },
);

// ---- cluster names and node ids -------------------------------------------

export const MAX_NAME_LENGTH = 128;
const NAME_CHAR = /^[A-Za-z0-9._-]$/;

function znodeName(what: string, example: string): NameRule {
  return rule(
    what,
    `1..${MAX_NAME_LENGTH} of [A-Za-z0-9._-] starting with a letter or digit, e.g. ${example}`,
    (name) => {
      if (name.length === 0) return 'is empty';
      if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters long`;
      if (!/^[A-Za-z0-9]/.test(name)) return 'does not start with a letter or digit';
      for (const ch of name) if (!NAME_CHAR.test(ch)) return `contains ${show(ch)}`;
      return undefined;
    },
  );
}

/** A cluster name: the znode under /ringleader. */
export const CLUSTER_NAME: NameRule = znodeName('cluster name', 'default');

/** A node id: its znode under nodes/ and stats/, and its election candidate data. */
export const NODE_ID: NameRule = znodeName('node id', 'lb-1');

/**
 * A service name: its znode under services/, a metrics label and a CLI argument. `default`
 * is taken by the top-level backends/ + config (the default HTTP service).
 */
export const SERVICE_NAME: NameRule = znodeName('service name', 'redis-cache');

/** The name the top-level backends/ + config go by. */
export const DEFAULT_SERVICE = 'default';

// ---- the ZooKeeper connect string -----------------------------------------

export const DEFAULT_ZK_PORT = 2181;

/**
 * `host[:port][,host[:port]...][/chroot]`, as node-zookeeper-client parses it: the port
 * defaults to 2181; a host holds no ':' (so no IPv6 literals: use a name).
 */
export const ZK_CONNECT: NameRule = rule(
  'ZooKeeper connect string',
  `host[:port][,host[:port]...][/chroot] with port 1..65535 (default ${DEFAULT_ZK_PORT}), e.g. 127.0.0.1:2181 or zk1,zk2:2182/prod`,
  (text) => {
    if (text.trim() === '') return 'is empty';
    if (/\s/.test(text)) return 'contains whitespace';
    const slash = text.indexOf('/');
    const servers = slash < 0 ? text : text.slice(0, slash);
    for (const server of servers.split(',')) {
      if (server === '') return 'has an empty server entry';
      const parts = server.split(':');
      if (parts.length > 2) return `has ${show(server)}: a host holds no ':'`;
      const [host, port] = parts as [string, string | undefined];
      if (host === '') return `has ${show(server)} without a host`;
      if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535))
        return `has ${show(server)}: the port is not 1..65535`;
    }
    const chroot = slash < 0 ? '' : text.slice(slash);
    if (chroot.length > 1 && (chroot.endsWith('/') || chroot.includes('//')))
      return `has the chroot ${show(chroot)}: no empty path segments`;
    return undefined;
  },
);
