import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMAND_SPECS } from './command-table.js';

describe('docs/services.md "Redis services"', () => {
  it('names every command and subcommand of the table', () => {
    const doc = readFileSync(new URL('../../../../docs/services.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Redis services'));
    expect(doc.includes('## Redis services')).toBe(true);
    const missing: string[] = [];
    for (const s of COMMAND_SPECS) {
      const name = s.name.toUpperCase();
      if (!new RegExp(`\`${name}[\` \\\\/]`).test(section)) missing.push(name);
      for (const sub of s.subs ?? []) {
        if (!new RegExp(`${name} [^\`]*\\b${sub.name.toUpperCase()}\\b`).test(section))
          missing.push(`${name} ${sub.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
