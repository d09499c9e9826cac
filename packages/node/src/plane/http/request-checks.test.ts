import { describe, expect, it } from 'vitest';
import { hostFieldCount } from './request-checks.js';

describe('hostFieldCount', () => {
  it('counts Host field lines whatever their case, and nothing else', () => {
    expect(hostFieldCount(['Host', 'a', 'X-Host', 'b', 'hosts', 'c'])).toBe(1);
    expect(hostFieldCount(['Host', 'a', 'HOST', 'b'])).toBe(2);
    expect(hostFieldCount([])).toBe(0);
  });
});
