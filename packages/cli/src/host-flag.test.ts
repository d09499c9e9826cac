import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostFlagProblem } from './host-flag.js';

describe('--host slips', () => {
  it('names a URL and shows the flags to use instead', () => {
    expect(hostFlagProblem('http://127.0.0.1')).toBe(
      '--host "http://127.0.0.1" is a URL (http://…): give the host alone, e.g. --host 127.0.0.1 --port PORT',
    );
    expect(hostFlagProblem('https://web.example:8443/x')).toContain('--host web.example --port 8443');
    expect(hostFlagProblem('http://[::1]:81')).toContain('--host [::1] --port 81');
  });

  it('names a port in the host, IPv4, names and bracketed IPv6 alike', () => {
    expect(hostFlagProblem('127.0.0.1:80')).toBe(
      '--host "127.0.0.1:80" has a port in it: use --host 127.0.0.1 --port 80',
    );
    expect(hostFlagProblem('web-1.local:8080')).toContain('use --host web-1.local --port 8080');
    expect(hostFlagProblem('[::1]:80')).toContain('use --host ::1 --port 80');
    expect(hostFlagProblem('10.0.0.1:')).toContain('use --host 10.0.0.1 --port PORT');
  });

  it('leaves plain hosts and bare IPv6 addresses to the codec', () => {
    for (const h of ['127.0.0.1', 'web-1', '::1', 'fe80::1', '[::1]', '2001:db8::8:800:200c:417a'])
      expect(hostFlagProblem(h)).toBeUndefined();
  });

  it('every host:port of a dotted name is caught and names both parts', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 65535 }),
        (ls, port) => {
          const host = ls.join('.');
          expect(hostFlagProblem(`${host}:${port}`)).toContain(`use --host ${host} --port ${port}`);
        },
      ),
    );
  });
});
