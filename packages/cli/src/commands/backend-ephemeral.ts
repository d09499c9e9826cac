// `backend add --ephemeral`: the way a backend registers itself from a shell script. The
// znode lives as long as this process's ZooKeeper session: SIGINT/SIGTERM closes the session
// (the znode goes within milliseconds), a crash lets it expire after the session timeout.
// If ZooKeeper expires the session meanwhile, the znode is re-created on the new session.
import type { BackendInput } from '@ringleader/core';
import { ClusterAdmin } from '@ringleader/zk';
import { backendJson, describeBackend } from '../backend-plan.js';
import type { CliContext } from '../context.js';
import { renderError } from '../errors.js';
import type { ZkTarget } from '../flags.js';
import { printJson } from '../options.js';
import { connect } from '../zk.js';

export interface EphemeralPlan {
  readonly id: string;
  readonly input: BackendInput;
  readonly sessionTimeoutMs: number;
  readonly json: boolean;
  /** A service of services/ (default: backends/). */
  readonly service?: string;
}

export async function holdEphemeral(ctx: CliContext, target: ZkTarget, plan: EphemeralPlan): Promise<void> {
  const signalled = ctx.untilSignal(); // installed first: a signal never kills us mid-registration
  const session = await connect(target, { sessionTimeoutMs: plan.sessionTimeoutMs });
  const keepAlive = setInterval(() => {}, 1 << 30); // the session's own timers do not hold the process
  try {
    const admin = new ClusterAdmin({
      session,
      cluster: target.cluster,
      ...(plan.service !== undefined ? { service: plan.service } : {}),
    });
    const rec = await admin.addBackend(plan.id, plan.input, { ephemeral: true });
    if (plan.json) printJson(ctx, { ...backendJson(rec.backend), version: rec.version, ephemeral: true });
    else {
      ctx.io.out(
        `registered backend ${plan.id} (ephemeral): ${describeBackend(rec.backend)}\n` +
          `holding ZooKeeper session ${session.sessionId}; Ctrl-C or SIGTERM removes it\n`,
      );
    }
    session.on('state', (ch) => {
      if (ch.to === 'suspended' || ch.to === 'expired' || (ch.to === 'connected' && ch.from !== 'connecting'))
        ctx.io.err(`ringleader: ZooKeeper session ${ch.from} → ${ch.to} (${ch.cause})\n`);
    });
    session.on('session', (s) => {
      admin.addBackend(plan.id, plan.input, { ephemeral: true }).then(
        () => ctx.io.err(`ringleader: re-registered backend ${plan.id} on new session ${s.sessionId}\n`),
        (err: unknown) =>
          ctx.io.err(`ringleader: re-registering ${plan.id} failed: ${renderError(err).text}\n`),
      );
    });
    const signal = await signalled;
    ctx.io.err(`ringleader: ${signal}: closing the session; backend ${plan.id} is removed\n`);
  } finally {
    clearInterval(keepAlive);
    await session.close().catch(() => {});
  }
}
