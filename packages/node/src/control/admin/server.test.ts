import { describe, expect, it } from 'vitest';
import { bearerMatches } from './auth.js';
import { createAdminServer } from './server.js';

function deps(over: { ready?: boolean; token?: string } = {}) {
  const calls: string[] = [];
  return {
    calls,
    deps: {
      isReady: () => over.ready ?? true,
      status: () => ({ node: 'lb-1', role: 'leader' }),
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'ringleader_role 1\n' }),
      actions: {
        resign: async () => {
          calls.push('resign');
          return { resigned: true };
        },
        drain: async (id: string) => {
          calls.push(`drain ${id}`);
        },
        undrain: async (id: string) => {
          calls.push(`undrain ${id}`);
        },
      },
      ...(over.token ? { token: over.token } : {}),
    },
  };
}

describe('admin server', () => {
  it('answers readiness by role', async () => {
    const up = await createAdminServer(deps({ ready: true }).deps);
    const down = await createAdminServer(deps({ ready: false }).deps);
    expect((await up.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await down.inject({ url: '/readyz' })).statusCode).toBe(503);
    expect((await down.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('serves status JSON and Prometheus text', async () => {
    const app = await createAdminServer(deps().deps);
    expect((await app.inject({ url: '/status' })).json()).toEqual({ node: 'lb-1', role: 'leader' });
    const m = await app.inject({ url: '/metrics' });
    expect(m.headers['content-type']).toMatch(/text\/plain/);
    expect(m.body).toContain('ringleader_role 1');
  });

  it('requires the bearer token for mutating endpoints when one is set', async () => {
    const d = deps({ token: 'correct-horse-battery-staple' });
    const app = await createAdminServer(d.deps);
    const none = await app.inject({ method: 'POST', url: '/leader/resign' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('RL_ADMIN_UNAUTHORISED');
    const wrong = await app.inject({
      method: 'POST',
      url: '/backends/b1/drain',
      headers: { authorization: 'Bearer correct-horse-battery-stapl' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(d.calls).toEqual([]);
    const ok = await app.inject({
      method: 'POST',
      url: '/backends/b1/drain',
      headers: { authorization: 'Bearer correct-horse-battery-staple' },
    });
    expect(ok.statusCode).toBe(200);
    expect(d.calls).toEqual(['drain b1']);
  });

  it('without a token, accepts mutations from loopback only and says so when it listens', async () => {
    const d = deps();
    const lines: Array<{ obj: object; msg?: string }> = [];
    const logger = {
      warn: (obj: object, msg?: string) => lines.push({ obj, ...(msg ? { msg } : {}) }),
      info: (obj: object, msg?: string) => lines.push({ obj, ...(msg ? { msg } : {}) }),
    };
    const app = await createAdminServer({ ...d.deps, logger });
    for (const remoteAddress of ['10.0.0.5', '::ffff:192.168.1.2', '2001:db8::1']) {
      const far = await app.inject({ method: 'POST', url: '/backends/b1/drain', remoteAddress });
      expect(far.statusCode).toBe(403);
      expect(far.json().code).toBe('RL_ADMIN_LOOPBACK_ONLY');
    }
    expect(d.calls).toEqual([]);
    // Reads stay open to whoever reaches the listener.
    expect((await app.inject({ url: '/status', remoteAddress: '10.0.0.5' })).statusCode).toBe(200);
    for (const remoteAddress of ['127.0.0.1', '127.5.0.1', '::1', '::ffff:127.0.0.1']) {
      const near = await app.inject({ method: 'POST', url: '/backends/b1/undrain', remoteAddress });
      expect(near.statusCode).toBe(200);
    }
    expect(d.calls).toHaveLength(4);
    await app.listen({ host: '127.0.0.1', port: 0 });
    await app.close();
    expect(lines.find((l) => 'mutations' in l.obj)?.obj).toMatchObject({ mutations: 'loopback-only' });
  });

  it('with a token, a far peer holding it may mutate', async () => {
    const d = deps({ token: 'correct-horse-battery-staple' });
    const app = await createAdminServer(d.deps);
    const res = await app.inject({
      method: 'POST',
      url: '/leader/resign',
      remoteAddress: '10.0.0.5',
      headers: { authorization: 'Bearer correct-horse-battery-staple' },
    });
    expect(res.statusCode).toBe(200);
    expect(d.calls).toEqual(['resign']);
  });

  it('answers bad admin requests with 4xx JSON errors', async () => {
    const app = await createAdminServer(deps().deps);
    const missing = await app.inject({ url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('RL_ADMIN_NOT_FOUND');
    const badId = await app.inject({ method: 'POST', url: '/backends/-bad%20id/drain' });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().code).toBe('RL_BAD_BACKEND_ID');
    const wrongMethod = await app.inject({ method: 'DELETE', url: '/status' });
    expect(wrongMethod.statusCode).toBe(404);
  });

  it('compares tokens exactly', () => {
    expect(bearerMatches('Bearer abc', 'abc')).toBe(true);
    expect(bearerMatches('bearer abc', 'abc')).toBe(true);
    expect(bearerMatches('Bearer abcd', 'abc')).toBe(false);
    expect(bearerMatches('Basic abc', 'abc')).toBe(false);
    expect(bearerMatches(undefined, 'abc')).toBe(false);
  });
});
