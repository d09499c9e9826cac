// routeCommand: what the proxy does with one command, from the table in command-table.ts.
// On the hot path: one Map lookup on the name as sent (both cases are in the map, so most
// clients never lower-case), a precomputed route for everything keyless, and for keyed
// commands one small array of key views. Big arguments are never turned into strings.

import { COMMAND_SPECS, type CommandSpec, type KeySpec, WHY } from './command-table.js';
import { resp } from './encode.js';

export type CommandRoute =
  | { kind: 'keyed'; name: string; keys: Buffer[] }
  | { kind: 'split'; name: string; merge: 'array' | 'ok' | 'sum'; step: 1 | 2 }
  | { kind: 'local'; name: string }
  | { kind: 'transaction'; name: 'MULTI' | 'EXEC' | 'DISCARD' | 'WATCH' | 'UNWATCH'; keys: Buffer[] }
  | { kind: 'refused'; name: string; reply: Buffer };

interface Compiled {
  readonly spec: CommandSpec;
  /** Redis's full name: `get`, `client|setname`. */
  readonly fullName: string;
  readonly arityRoute: CommandRoute;
  /** The route when it depends on nothing but the name (local, refused, split, keyless). */
  readonly fixed: CommandRoute | undefined;
  readonly subs: Map<string, Compiled> | undefined;
  readonly parent: string | undefined;
}

const NO_KEYS: Buffer[] = [];
const MAX_NAME = 32;

const refused = (name: string, text: string): CommandRoute => ({
  kind: 'refused',
  name,
  reply: resp.error(text),
});

function compile(spec: CommandSpec, parent?: string): Compiled {
  const fullName = parent === undefined ? spec.name : `${parent}|${spec.name}`;
  let fixed: CommandRoute | undefined;
  if (spec.kind === 'refused') {
    const shown = parent === undefined ? spec.name : `${parent} ${spec.name}`;
    fixed = refused(fullName, `ERR '${shown}' is not supported by this proxy: ${spec.why}`);
  } else if (spec.kind === 'local') fixed = { kind: 'local', name: parent ?? spec.name };
  else if (spec.kind === 'split')
    fixed = { kind: 'split', name: spec.name, merge: spec.merge ?? 'sum', step: spec.step ?? 1 };
  else if (spec.kind === 'transaction' && spec.keys === undefined)
    fixed = { kind: 'transaction', name: spec.name.toUpperCase() as 'MULTI', keys: NO_KEYS };
  let subs: Map<string, Compiled> | undefined;
  if (spec.subs) {
    subs = new Map();
    for (const s of spec.subs) addNames(subs, compile(s, spec.name));
  }
  return {
    spec,
    fullName,
    arityRoute: refused(fullName, `ERR wrong number of arguments for '${fullName}' command`),
    fixed,
    subs,
    parent,
  };
}

function addNames(map: Map<string, Compiled>, c: Compiled): void {
  map.set(c.spec.name, c);
  map.set(c.spec.name.toUpperCase(), c);
}

const BY_NAME = new Map<string, Compiled>();
for (const spec of COMMAND_SPECS) addNames(BY_NAME, compile(spec));

function lookup(map: Map<string, Compiled>, name: Buffer): Compiled | undefined {
  if (name.length > MAX_NAME) return undefined;
  const s = name.toString('latin1');
  return map.get(s) ?? map.get(s.toLowerCase());
}

/** Up to 128 characters of an argument, on one line, as Redis quotes them in errors. */
function shown(b: Buffer, max = 128): string {
  return b.toString('latin1', 0, Math.min(b.length, max)).replace(/[\r\n]/g, ' ');
}

function unknownCommand(args: Buffer[]): CommandRoute {
  let tail = '';
  for (let i = 1; i < args.length && tail.length < 128; i++)
    tail += `'${shown(args[i]!, 128 - tail.length)}' `;
  const name = shown(args[0] ?? Buffer.alloc(0));
  return refused(name.toLowerCase(), `ERR unknown command '${name}', with args beginning with: ${tail}`);
}

/** The route of one command (args[0] its name, in any case). */
export function routeCommand(args: Buffer[]): CommandRoute {
  const top = args.length > 0 ? lookup(BY_NAME, args[0]!) : undefined;
  if (top === undefined) return unknownCommand(args);
  let c = top;
  if (top.subs !== undefined && (args.length >= 2 || top.spec.arity <= -2)) {
    if (args.length < 2) return top.arityRoute;
    const sub = lookup(top.subs, args[1]!);
    if (sub === undefined) {
      return refused(
        top.fullName,
        `ERR unknown subcommand '${shown(args[1]!)}'. Try ${top.spec.name.toUpperCase()} HELP.`,
      );
    }
    c = sub;
  }
  const spec = c.spec;
  if (spec.kind === 'refused') return c.fixed!;
  const n = args.length;
  if (spec.arity > 0 ? n !== spec.arity : n < -spec.arity) return c.arityRoute;
  if (spec.step === 2 && n % 2 === 0) return c.arityRoute;
  if (c.fixed !== undefined) return c.fixed;
  const keys = findKeys(spec.keys!, args, c);
  if (!Array.isArray(keys)) return keys;
  if (spec.kind === 'transaction') return { kind: 'transaction', name: 'WATCH', keys };
  return { kind: 'keyed', name: c.fullName, keys };
}

/** Whether b spells the lower-case ASCII word t in any case. */
function isWord(b: Buffer, t: string): boolean {
  if (b.length !== t.length) return false;
  for (let i = 0; i < t.length; i++) if ((b[i]! | 0x20) !== t.charCodeAt(i)) return false;
  return true;
}

/** A non-negative or negative integer written in args as Redis's string2ll reads it, or NaN. */
function intArg(b: Buffer): number {
  if (b.length === 0 || b.length > 15) return Number.NaN;
  const s = b.toString('latin1');
  const n = Number(s);
  return Number.isInteger(n) && String(n) === s ? n : Number.NaN;
}

function findKeys(ks: KeySpec, args: Buffer[], c: Compiled): Buffer[] | CommandRoute {
  const n = args.length;
  switch (ks.by) {
    case 'range': {
      if (ks.first === ks.last) return [args[ks.first]!];
      const last = ks.last < 0 ? n + ks.last : ks.last;
      if (ks.step === 2 && (last - ks.first) % 2 !== 1) return c.arityRoute;
      const keys: Buffer[] = [];
      for (let i = ks.first; i <= last; i += ks.step) keys.push(args[i]!);
      return keys;
    }
    case 'sub':
      return [args[2]!];
    case 'numkeys': {
      const count = intArg(args[ks.at]!);
      if (Number.isNaN(count)) return refused(c.fullName, 'ERR value is not an integer or out of range');
      if (count < 0) return refused(c.fullName, "ERR Number of keys can't be negative");
      if (count === 0) {
        return ks.at === 2
          ? refused(
              c.fullName,
              `ERR '${c.fullName}' without keys cannot be routed by this proxy: pass the keys the script touches (numkeys ≥ 1)`,
            )
          : refused(c.fullName, 'ERR numkeys should be greater than 0');
      }
      if (count > n - ks.at - 1)
        return refused(c.fullName, "ERR Number of keys can't be greater than number of args");
      const keys: Buffer[] = ks.dest ? [args[1]!] : [];
      for (let i = ks.at + 1; i <= ks.at + count; i++) keys.push(args[i]!);
      return keys;
    }
    case 'streams':
      return streamKeys(args, ks.from, c);
    case 'sort':
      return sortKeys(args, c);
    case 'georadius': {
      const keys = [args[1]!];
      for (let i = ks.fixed; i + 1 < n; i++) {
        if (isWord(args[i]!, 'store') || isWord(args[i]!, 'storedist')) keys.push(args[++i]!);
      }
      return keys;
    }
  }
}

function streamKeys(args: Buffer[], from: number, c: Compiled): Buffer[] | CommandRoute {
  const n = args.length;
  let i = from;
  for (; i < n; i++) {
    const a = args[i]!;
    if (isWord(a, 'streams')) break;
    if (isWord(a, 'block')) {
      return refused(c.fullName, `ERR '${c.fullName} BLOCK' is not supported by this proxy: ${WHY.blocking}`);
    }
    if (isWord(a, 'count')) i++;
    else if (!isWord(a, 'noack')) return refused(c.fullName, 'ERR syntax error');
  }
  const rest = n - i - 1;
  if (i >= n || rest === 0 || rest % 2 !== 0) {
    return refused(
      c.fullName,
      `ERR Unbalanced '${c.fullName}' list of streams: for each stream key an ID or '$' must be specified.`,
    );
  }
  return args.slice(i + 1, i + 1 + rest / 2);
}

function sortKeys(args: Buffer[], c: Compiled): Buffer[] | CommandRoute {
  const keys = [args[1]!];
  for (let i = 2; i + 1 < args.length; i++) {
    const a = args[i]!;
    if (isWord(a, 'by') || isWord(a, 'get')) {
      const pattern = args[++i]!;
      // A pattern with '*' reads other keys (BY weight_*, GET obj_*), which may live elsewhere.
      if (pattern.includes(42)) {
        return refused(
          c.fullName,
          `ERR '${c.fullName}' with a BY or GET pattern is not supported by this proxy: it reads other keys, which may live on other backends`,
        );
      }
    } else if (isWord(a, 'limit')) i += 2;
    else if (isWord(a, 'store') && c.spec.name === 'sort') keys.push(args[++i]!);
  }
  return keys;
}

/** The -ERR for a command whose keys belong to different backends. */
export function crossOwnerReply(name: string): Buffer {
  return resp.error(
    `ERR '${name}' keys belong to different backends: give them one hash tag, e.g. {user:1}:a and {user:1}:b`,
  );
}

/** The owner all keys share, or -1 when they have several (ownerOf gets the full key). */
export function sharedOwner(keys: readonly Buffer[], ownerOf: (key: Buffer) => number): number {
  const first = ownerOf(keys[0]!);
  for (let i = 1; i < keys.length; i++) if (ownerOf(keys[i]!) !== first) return -1;
  return first;
}
