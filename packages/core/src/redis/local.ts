// Commands the proxy answers itself (route kind 'local'): connection-level commands that mean
// nothing to one backend, or would change a backend connection many clients share. Pure:
// the connection's state comes in and is updated in place; the reply goes out.

import { COMMAND_SPECS, type CommandSpec } from './command-table.js';
import { RESP_OK, RESP_PONG, resp } from './encode.js';
import { type CommandRoute, routeCommand } from './route.js';

export interface LocalState {
  /** CLIENT SETNAME's name (a copy), null when unset. */
  clientName: Buffer | null;
  db: number;
  /** CLIENT ID's answer; 0 when the caller does not number connections. */
  id?: number;
}

export interface LocalReply {
  reply: Buffer;
  /** QUIT: send the reply, then close. */
  close: boolean;
}

/** What the proxy says it is (HELLO, INFO): the Redis version whose commands it routes. */
export const PROXY_REDIS_VERSION = '7.0.0';

const NOPROTO = resp.error('NOPROTO sorry, this protocol version is not supported');
const NOT_INTEGER = resp.error('ERR value is not an integer or out of range');
const NO_PASSWORD = resp.error(
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
);
const BAD_NAME = resp.error('ERR Client names cannot contain spaces, newlines or special characters.');

const reply = (r: Buffer, close = false): LocalReply => ({ reply: r, close });
const lower = (b: Buffer | undefined) => (b === undefined ? '' : b.toString('latin1', 0, 32).toLowerCase());

/** The answer to one 'local' command; commands of other kinds get their refusal or an -ERR. */
export function localReply(args: Buffer[], state: LocalState): LocalReply {
  const route = routeCommand(args);
  if (route.kind === 'refused') return reply(route.reply);
  if (route.kind !== 'local') {
    return reply(resp.error(`ERR '${route.name}' is not answered by the proxy itself`));
  }
  switch (route.name) {
    case 'ping':
      if (args.length > 2) return reply(resp.error("ERR wrong number of arguments for 'ping' command"));
      return reply(args.length === 2 ? resp.bulk(args[1]!) : RESP_PONG);
    case 'echo':
      return reply(resp.bulk(args[1]!));
    case 'quit':
      return reply(RESP_OK, true);
    case 'select':
      return reply(select(args[1]!, state));
    case 'auth':
      return reply(NO_PASSWORD);
    case 'hello':
      return reply(hello(args, state));
    case 'info':
      return reply(resp.bulk(info(state)));
    case 'client':
      return reply(client(args, state));
    case 'command':
      return reply(command(args));
    default:
      return reply(resp.error(`ERR '${route.name}' is not answered by the proxy itself`));
  }
}

function select(arg: Buffer, state: LocalState): Buffer {
  const s = arg.toString('latin1', 0, 16);
  const n = Number(s);
  if (arg.length > 15 || s === '' || !Number.isInteger(n) || String(n) !== s) return NOT_INTEGER;
  if (n !== 0) return resp.error(`ERR only database 0 is served by this proxy (SELECT ${n})`);
  state.db = 0;
  return RESP_OK;
}

function setName(name: Buffer, state: LocalState): Buffer | null {
  for (const c of name) if (c < 33 || c > 126) return BAD_NAME;
  state.clientName = name.length === 0 ? null : Buffer.from(name);
  return null;
}

function hello(args: Buffer[], state: LocalState): Buffer {
  if (args.length >= 2) {
    const s = args[1]!.toString('latin1', 0, 16);
    const v = Number(s);
    if (!Number.isInteger(v) || String(v) !== s) {
      return resp.error('ERR Protocol version is not an integer or out of range');
    }
    if (v !== 2) return NOPROTO;
  }
  for (let i = 2; i < args.length; i++) {
    const opt = lower(args[i]);
    if (opt === 'auth' && i + 2 < args.length) return NO_PASSWORD;
    if (opt === 'setname' && i + 1 < args.length) {
      const bad = setName(args[++i]!, state);
      if (bad) return bad;
    } else return resp.error(`ERR Syntax error in HELLO option '${args[i]!.toString('latin1', 0, 64)}'`);
  }
  // RESP2 has no map type: the map is sent as a flat array of name, value.
  return resp.array([
    resp.bulk('server'),
    resp.bulk('redis'),
    resp.bulk('version'),
    resp.bulk(PROXY_REDIS_VERSION),
    resp.bulk('proto'),
    resp.integer(2),
    resp.bulk('id'),
    resp.integer(state.id ?? 0),
    resp.bulk('mode'),
    resp.bulk('standalone'),
    resp.bulk('role'),
    resp.bulk('master'),
    resp.bulk('modules'),
    resp.array([]),
  ]);
}

function info(state: LocalState): string {
  // What clients read on connect (ioredis's ready check looks at `loading`).
  return [
    '# Server',
    `redis_version:${PROXY_REDIS_VERSION}`,
    'redis_mode:standalone',
    'proxy:ringleader',
    '',
    '# Persistence',
    'loading:0',
    '',
    '# Keyspace',
    `# db${state.db}: spread over the service's backends`,
    '',
  ].join('\r\n');
}

function client(args: Buffer[], state: LocalState): Buffer {
  switch (lower(args[1])) {
    case 'setname':
      return setName(args[2]!, state) ?? RESP_OK;
    case 'getname':
      return resp.bulk(state.clientName);
    case 'id':
      return resp.integer(state.id ?? 0);
    case 'info':
      return resp.bulk(
        `id=${state.id ?? 0} name=${state.clientName?.toString('latin1') ?? ''} db=${state.db} resp=2 proxy=ringleader\n`,
      );
    case 'setinfo':
      return RESP_OK;
    default:
      return resp.error(
        `ERR unknown subcommand '${args[1]?.toString('latin1', 0, 64) ?? ''}'. Try CLIENT HELP.`,
      );
  }
}

/** COMMAND's reply rows in the Redis 2.8–6 shape: name, arity, flags, first, last, step. */
function infoRow(spec: CommandSpec): Buffer {
  const range = spec.keys?.by === 'range' ? spec.keys : undefined;
  const flags =
    spec.kind === 'refused' ? ['refused'] : range === undefined && spec.keys ? ['movablekeys'] : [];
  return resp.array([
    resp.bulk(spec.name),
    resp.integer(spec.arity),
    resp.array(flags.map((f) => resp.simple(f))),
    resp.integer(range?.first ?? 0),
    resp.integer(range?.last ?? 0),
    resp.integer(range?.step ?? 0),
  ]);
}

let allRows: Buffer | undefined;
let byName: Map<string, CommandSpec> | undefined;

function command(args: Buffer[]): Buffer {
  byName ??= new Map(COMMAND_SPECS.map((s) => [s.name, s]));
  const specs = byName;
  switch (lower(args[1])) {
    case '':
      allRows ??= resp.array(COMMAND_SPECS.map(infoRow));
      return allRows;
    case 'count':
      return resp.integer(COMMAND_SPECS.length);
    case 'list':
      return resp.array(COMMAND_SPECS.map((s) => resp.bulk(s.name)));
    case 'docs':
      return resp.array([]);
    case 'info':
      return resp.array(
        args.slice(2).map((a) => {
          const spec = specs.get(a.toString('latin1', 0, 32).toLowerCase());
          return spec === undefined ? resp.array(null) : infoRow(spec);
        }),
      );
    case 'getkeys': {
      const route: CommandRoute = routeCommand(args.slice(2));
      if (route.kind === 'refused') return route.reply;
      if (route.kind === 'keyed' || (route.kind === 'transaction' && route.keys.length > 0)) {
        return resp.array(route.keys.map((k) => resp.bulk(k)));
      }
      if (route.kind === 'split') {
        const keys: Buffer[] = [];
        for (let i = 1; i < args.length - 2; i += route.step) keys.push(resp.bulk(args[i + 2]!));
        return resp.array(keys);
      }
      return resp.error('ERR The command has no key arguments');
    }
    default:
      return resp.error(`ERR unknown subcommand '${args[1]!.toString('latin1', 0, 64)}'. Try COMMAND HELP.`);
  }
}
