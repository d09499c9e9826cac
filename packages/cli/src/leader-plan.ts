// The pure half of `ringleader leader resign`: where the admin token comes from, and how a
// hand-over is told.
import type { LeaderPayload } from '@ringleader/zk';
import { readSecretFile } from './flags.js';

/** --admin-token-file, then RINGLEADER_ADMIN_TOKEN, then RINGLEADER_ADMIN_TOKEN_FILE (as the node reads it). */
export function resolveAdminToken(
  flagFile: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): string | undefined {
  if (flagFile !== undefined) return readSecretFile(flagFile, '--admin-token-file', readFile);
  const direct = env.RINGLEADER_ADMIN_TOKEN?.trim();
  if (direct) return direct;
  const file = env.RINGLEADER_ADMIN_TOKEN_FILE?.trim();
  if (file) return readSecretFile(file, 'RINGLEADER_ADMIN_TOKEN_FILE', readFile);
  return undefined;
}

/** True when `after` is a different leadership term than `before` (another node, or a new epoch). */
export function isNewTerm(before: LeaderPayload, after: LeaderPayload | null): after is LeaderPayload {
  return after !== null && (after.id !== before.id || after.epoch !== before.epoch);
}

export function describeHandOver(before: LeaderPayload, after: LeaderPayload, tookMs: number): string {
  const where = [after.proxyUrl && `proxy ${after.proxyUrl}`, after.adminUrl && `admin ${after.adminUrl}`]
    .filter(Boolean)
    .join(' · ');
  const lines = [
    `resigned:    ${before.id} (epoch ${before.epoch}) stepped down`,
    `now leading: ${after.id} (epoch ${after.epoch})${where ? ` · ${where}` : ''}`,
    `hand-over took ${Math.round(tookMs)} ms`,
  ];
  if (after.id === before.id)
    lines.push(`no standby took over: ${before.id} was elected again (it is the only contender)`);
  return `${lines.join('\n')}\n`;
}
