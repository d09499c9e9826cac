import { describe, expect, it } from 'vitest';
import { describeHandOver, isNewTerm, resolveAdminToken } from './leader-plan.js';

const files: Record<string, string> = {
  '/etc/rl/token': 'from-flag-file\n',
  '/run/env-token': 'from-env-file',
};
const read = (p: string) => {
  const v = files[p];
  if (v === undefined) throw new Error(`ENOENT ${p}`);
  return v;
};

describe('resolveAdminToken', () => {
  it('--admin-token-file, then RINGLEADER_ADMIN_TOKEN, then RINGLEADER_ADMIN_TOKEN_FILE, else none', () => {
    const env = { RINGLEADER_ADMIN_TOKEN: 'from-env', RINGLEADER_ADMIN_TOKEN_FILE: '/run/env-token' };
    expect(resolveAdminToken('/etc/rl/token', env, read)).toBe('from-flag-file');
    expect(resolveAdminToken(undefined, env, read)).toBe('from-env');
    expect(resolveAdminToken(undefined, { RINGLEADER_ADMIN_TOKEN_FILE: '/run/env-token' }, read)).toBe(
      'from-env-file',
    );
    expect(resolveAdminToken(undefined, {}, read)).toBeUndefined();
  });
  it('an unreadable token file is an error naming the file', () => {
    expect(() => resolveAdminToken('/missing', {}, read)).toThrow(
      /--admin-token-file: cannot read \/missing/,
    );
  });
});

describe('hand-over', () => {
  const before = { id: 'lb-1', epoch: 7, since: 's' };
  it('a new term is another node or a new epoch', () => {
    expect(isNewTerm(before, null)).toBe(false);
    expect(isNewTerm(before, { ...before })).toBe(false);
    expect(isNewTerm(before, { id: 'lb-2', epoch: 8, since: 't' })).toBe(true);
    expect(isNewTerm(before, { id: 'lb-1', epoch: 8, since: 't' })).toBe(true);
  });
  it('tells who led, who leads, and when no standby took over', () => {
    const other = describeHandOver(
      before,
      { id: 'lb-2', epoch: 8, since: 't', adminUrl: 'http://b:9090' },
      84.4,
    );
    expect(other).toBe(
      'resigned:    lb-1 (epoch 7) stepped down\nnow leading: lb-2 (epoch 8) · admin http://b:9090\nhand-over took 84 ms\n',
    );
    expect(describeHandOver(before, { id: 'lb-1', epoch: 8, since: 't' }, 10)).toContain(
      'no standby took over: lb-1 was elected again',
    );
  });
});
