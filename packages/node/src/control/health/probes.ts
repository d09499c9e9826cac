// Active checks for a service's backends, one per ServiceHealthCheck kind, each shaped as the
// HealthChecker's injectable probe. The checker passes the live settings (`cfg`: timeout, path,
// status range, which follow `configure`); the check itself fixes what is asked (kind, agent
// port, required role). Layer-4 kinds share one socket runner (probes-socket.ts), so every one
// of them has a fresh connection, one deadline for the whole check, its socket destroyed on
// every path and a result rather than a rejection.
import type { ServiceHealthCheck } from '@ringleader/core';
import { probe as httpProbe, type ProbeResult, type ProbeSettings, type ProbeTarget } from './probe.js';
import { judgeSslReply, sslRequest } from './probes-pg.js';
import { describeReply, infoField, printable, RespReader, type RespReply } from './probes-resp.js';
import { converse, type Exchange, ProbeFailure } from './probes-socket.js';

export type Probe = (target: ProbeTarget, cfg: ProbeSettings) => Promise<ProbeResult>;

/** The probe for `check.kind`, for `new HealthChecker({ probe: serviceProbe(check), … })`. */
export function serviceProbe(check: ServiceHealthCheck): Probe {
  switch (check.kind) {
    case 'tcp':
      return (target, cfg) =>
        converse(target, cfg.timeoutMs, async (io) => `connected in ${io.elapsed()} ms`);
    case 'redis': {
      const master = check.role === 'master';
      return (target, cfg) => converse(target, cfg.timeoutMs, (io) => redisDialogue(io, master));
    }
    case 'postgres':
      return (target, cfg) => converse(target, cfg.timeoutMs, postgresDialogue);
    case 'http':
      return httpOnPort(check.port);
    default: {
      // Definitions are validated by core; this only guards a kind added there but not here.
      const kind: string = check.kind;
      return async () => ({ passed: false, detail: `unknown check kind ${printable(kind)}`, latencyMs: 0 });
    }
  }
}

/** probe.ts's HTTP GET, aimed at the agent's port when the check names one. */
function httpOnPort(port: number | undefined): Probe {
  return async (target, cfg) => {
    try {
      const r = await httpProbe(port === undefined ? target : { ...target, port }, cfg);
      return port === undefined ? r : { ...r, detail: `${r.detail} on port ${port}` };
    } catch (err) {
      // http.request throws synchronously on some bad options; a probe must not reject.
      return { passed: false, detail: (err as Error).message, latencyMs: 0 };
    }
  };
}

/** PING → +PONG; with `master`, INFO replication must say role:master (a replica is unhealthy). */
async function redisDialogue(io: Exchange, master: boolean): Promise<string> {
  const reader = new RespReader();
  const ask = async (command: string): Promise<RespReply> => {
    io.send(`${command}\r\n`);
    let r = reader.take();
    while (r.kind === 'incomplete') r = reader.push(await io.read());
    if (r.kind === 'bad') throw new ProbeFailure(`${command}: ${r.reason}`);
    if (r.reply.type === 'error') throw new ProbeFailure(`${command}: ${describeReply(r.reply)}`);
    return r.reply;
  };

  const pong = await ask('PING');
  if (pong.type !== 'simple' || pong.value !== 'PONG') {
    throw new ProbeFailure(`PING answered ${describeReply(pong)}, not +PONG`);
  }
  if (!master) return `PONG in ${io.elapsed()} ms`;

  const info = await ask('INFO replication');
  if (info.type !== 'bulk' || info.value === null) {
    throw new ProbeFailure(`INFO replication answered ${describeReply(info)}, not a bulk string`);
  }
  const role = infoField(info.value, 'role');
  if (role === undefined) throw new ProbeFailure('INFO replication has no role line');
  if (role !== 'master') throw new ProbeFailure(`role:${printable(role)}, not master`);
  return `PONG, role:master in ${io.elapsed()} ms`;
}

async function postgresDialogue(io: Exchange): Promise<string> {
  io.send(sslRequest());
  const reply = await io.read();
  const verdict = judgeSslReply(reply[0] as number);
  if (!verdict.passed) throw new ProbeFailure(verdict.detail);
  return `${verdict.detail} in ${io.elapsed()} ms`;
}
